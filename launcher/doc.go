// Package launcher is the run-time half of a .psp: it verifies the package it is part of, extracts
// its slots once into a content-keyed cache, builds the child's environment and command, and runs it.
// The executable at the front of every package is launcher/cmd/flavor-launcher.
//
// # Verification
//
// Run opens the package with packer at the level FLAVOR_VALIDATION names (strict, standard — the
// default —, relaxed, minimal, none; packer.Level says what each checks and which failures only
// warn). When FLAVOR_TRUSTED_KEYS is set (64-hex-digit keys or key files, separated by commas or
// the path-list separator), a package signed by any other key is refused. A warm start reads the
// index, the metadata and the slot table, never slot bytes; slot bytes are checked against the
// SHA-256 in the signed metadata whenever they are extracted. After a warning-free run at
// standard level or above, a launch record (record.go) lets the next warm start of the very same
// header bytes skip decompressing, parsing and signature-checking the metadata.
//
// # Cache
//
// Workenvs live in CacheDir (FLAVOR_CACHE, else $XDG_CACHE_HOME/flavor, else ~/.cache/flavor;
// %LocalAppData%\flavor on Windows) under workenv/<name>-<16 hex digits of the SHA-256 of the
// signed metadata>. Extraction happens under an OS file lock into a private staging directory,
// which is renamed into place; setup commands then run in the final tree, and a completion
// marker is written last. A run killed at any point leaves nothing a later run trusts; stale
// staging directories are removed by the next extractor. FLAVOR_WORKENV_CACHE=0 extracts afresh.
//
// # Slots
//
// A slot's lifecycle decides when it is extracted: init slots are removed after the setup
// commands; startup, volatile and temporary slots are extracted again on every run; lazy slots
// only when a {slot:N} placeholder names them; all others once. A slot whose platform field names
// another OS or architecture is skipped.
//
// # Command and environment
//
// The command is split with SplitCommand; {workenv}, {package_name}, {version}, {package} and
// {slot:N} expand in every word, in execution.args, environment values, execution.cwd,
// path_prepend/path_append and setup commands; the launcher's own arguments follow verbatim. The
// first word is an absolute path or is looked up on the child's PATH. The environment is the
// caller's, then runtime.env (pass → unset → map → set), then execution.env, then
// FLAVOR_WORKENV, FLAVOR_PACKAGE, FLAVOR_COMMAND_NAME, FLAVOR_ORIGINAL_COMMAND and
// PATH = path_prepend + <workenv>/bin + PATH + path_append, last, so unset ["*"] never removes
// them. By default (Unix) the command replaces the launcher (execve); with FLAVOR_EXEC_MODE=spawn,
// and always on Windows, it runs as a child that receives SIGINT/SIGTERM/SIGHUP and is killed
// when it outlives execution.signals.shutdown_timeout after one.
//
// # Errors
//
// Every failure before the command starts is an *Error; its Category gives the exit code
// (102 format, 103 slot, 104 verification and other, 105 usage, 106 file system), decided by
// error type, never by the words of the message.
package launcher
