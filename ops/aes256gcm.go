package ops

// AES256GCM is AES-256-GCM encryption (code 0x31). It is named so chains carrying it can be
// reported (inspect, verify); this flavor has no codec for it, so it can neither write nor
// extract such slots.
const AES256GCM Op = 0x31

var aes256gcmDef = definition{op: AES256GCM, name: "aes256gcm", aliases: []string{"aes256-gcm"}}

var _ = define(&aes256gcmDef)
