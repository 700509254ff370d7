package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/packer"
)

func TestInspectText(t *testing.T) {
	psp := packExample(t)
	stdout, stderr, code := runApp(t, "inspect", psp, "-k", seedPub)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"package     hello-local 1.0.0: a greeting packed from local files",
		"signed by   " + seedPub + " (signature valid, trusted key)",
		"format      PSPF/2025, version 0x20250001",
		"  0  app                    {workenv}                       tar.gz",
		"  1  config                 etc/greeting.conf               gzip",
		"  4  flavor.provenance      .flavor/provenance.intoto.json  gzip",
		"SBOM        spdx, cyclonedx, provenance inside, signed",
		"command      sh {workenv}/bin/hello.sh --from 'the package'\\''s args'",
		"env          AUDIENCE=hello, world of flavor, GREETING=hello",
		"set {HELLO_MODE=demo}",
		"setup 1      sh -c 'echo activated > {workenv}/.activated'",
		`platform                "` + hostPlatform + `"`,
		`metadata                {"license":"Apache-2.0"}`,
		`slot app provenance     {"origin":"local","source":"app/"}`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Each slot's provenance once (not again inside the top-level provenance line).
	if n := strings.Count(stdout, `"source":"app/"`); n != 1 {
		t.Errorf("slot app's provenance shown %d times, want once", n)
	}
	if !strings.Contains(stdout, `"manifest":"flavor.toml"`) {
		t.Errorf("the top-level provenance line is missing")
	}
	if t.Failed() {
		t.Logf("output:\n%s", stdout)
	}
}

func TestInspectJSON(t *testing.T) {
	psp := packExample(t)
	for _, args := range [][]string{{"inspect", psp, "--json"}, {"--output-format", "json", "inspect", psp}} {
		stdout, stderr, code := runApp(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var res inspectResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("%v: stdout is not JSON: %v", args, err)
		}
		p, err := packer.Open(t.Context(), psp)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if res.Index.PackageSize != uint64(p.Size()) || res.Index.SlotCount != 5 || len(res.SBOM) != 3 || res.Signature.PublicKey != seedPub || !res.Signature.Checked {
			t.Errorf("index/signature %+v %+v", res.Index, res.Signature)
		}
		info, _ := p.SlotInfo(1)
		s := res.Slots[1]
		if s.ID != "config" || s.Checksum != info.Checksum || s.Operations != "gzip" || s.Lifecycle != "config" || s.Original != 13 {
			t.Errorf("slot 1 %+v", s)
		}
		var prov map[string]any
		if err := json.Unmarshal(s.Extras["provenance"], &prov); err != nil || prov["source"] != "config/greeting.conf" {
			t.Errorf("slot provenance %s (%v)", s.Extras["provenance"], err)
		}
		if _, ok := res.Extras["provenance"]; !ok {
			t.Errorf("extras %v lack provenance", res.Extras)
		}
		if res.Execution.Env["GREETING"] != "hello" || len(res.SetupCommands) != 1 || res.Runtime.Set["HELLO_MODE"] != "demo" {
			t.Errorf("execution %+v runtime %+v setup %+v", res.Execution, res.Runtime, res.SetupCommands)
		}
	}
}

func TestInspectFailures(t *testing.T) {
	psp := packExample(t)
	b, _ := os.ReadFile(psp)
	bad := filepath.Join(t.TempDir(), "bad.psp")
	// Flip a byte of the signature: the package can only be looked at with --validation none.
	idx := b[len(b)-8196 : len(b)-4]
	idx[128] ^= 1
	binary.LittleEndian.PutUint32(idx[4:], packer.IndexChecksum(idx))
	os.WriteFile(bad, b, 0o755)
	_, stderr, code := runApp(t, "inspect", bad)
	if code != 2 || !strings.Contains(stderr, "bad signature") || !strings.Contains(stderr, "--validation none shows it anyway") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	stdout, stderr, code := runApp(t, "inspect", bad, "--validation", "none")
	if code != 0 || !strings.Contains(stdout, "signature NOT checked at level none") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	_, stderr, code = runApp(t, "inspect", psp, "-k", "3cf9469205ba8dfccfd606c3eef6550016852c61d1e3594e2058433e841c98c9")
	if code != 2 || !strings.Contains(stderr, "untrusted key") {
		t.Fatalf("untrusted: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runApp(t, "inspect", filepath.Join(t.TempDir(), "none.psp"))
	if code != 1 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("missing: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runApp(t, "inspect")
	if code != 1 || !strings.Contains(stderr, "want one package") {
		t.Fatalf("no argument: exit %d, stderr %q", code, stderr)
	}
}

func TestInspectForeignPackage(t *testing.T) {
	// A package written by FlavorPack's Go builder: no provenance, unsigned-looking labels, extra
	// slot keys. Inspect shows it, with the extra keys as slot extras.
	src := "../../packer/testdata/multi-slot.psp"
	stdout, stderr, code := runApp(t, "--output-format", "json", "inspect", src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res inspectResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Slots) == 0 || res.Slots[0].Extras["resolution"] == nil {
		t.Fatalf("slots %+v: want FlavorPack's extra slot keys (resolution) as extras", res.Slots)
	}
}
