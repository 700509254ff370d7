// Package bundle turns a bundle manifest (flavor.toml, or [tool.flavor] in pyproject.toml) into
// signed .psp files, one per target platform, each with the launcher built for that platform.
//
// Pack maps the manifest onto a packer.Spec per platform:
//
//   - [[slots]]: a directory becomes a tar slot (tar+zstd unless operations say otherwise) whose
//     entries sit under its target, so every tar slot is unpacked at {workenv}; a file becomes a
//     single-file slot (raw unless operations say otherwise) at its target. A slot whose
//     platform is not "any" goes only into the packages of matching platforms.
//   - [execution]: command and args (quoted for the launcher's shell-like splitter, see
//     QuoteCommand), cwd, path_prepend, path_append, runtime.env and signals.
//   - [vars]: the execution environment.
//   - [hook] on-activate: one setup command, `sh -c '<script>'`, run once after the first
//     extraction.
//   - [metadata]: the "metadata" key of the package metadata. Provenance (tool and version,
//     manifest digest, per-slot origin) goes under "provenance", the platform under "platform".
//
// Slots built from [install] entries come from a SlotSource given with WithInstall: an
// InstallSource made from what package lock resolved and built, one tar slot per pkg-group (the
// artifacts of its packages merged in dependency order, a path shipped differently by two of
// them being an error wrapping ErrPathConflict), with each slot's provenance (packages, versions,
// flavors, base image digests, cache keys, artifact digests) in the signed metadata. Without a
// source, a manifest with [install] entries is refused with ErrInstallNeedsBuild. WithSlotSource
// adds any other caller-made slots.
//
// Setup commands run once after the first extraction, in this order: the finalizers of the
// [install] packages (finalize.yaml install commands, each as `<shell> <command>`, the shell
// being finalize.yaml's `shell:` or `sh -c`), slot by slot in package order, then [hook]
// on-activate. The launcher runs them with the workenv as working directory, the package's
// environment ([vars], runtime env rules, path_prepend/path_append applied; placeholders such
// as {workenv} expanded in every word), no standard input, and their output on its stderr.
//
// The launcher comes from the flavor binary (package launcher/embedded) unless WithLauncher names
// another LauncherSource, such as LauncherFiles, which reads executables whose platform it detects
// from their ELF, Mach-O or PE header (DetectPlatform). The signing key is chosen by ChooseKey.
//
// Every .psp is written atomically (a temporary file renamed into place), so a failed or
// cancelled Pack never leaves a partial package behind, and then opened again and checked at the
// level of WithCheckLevel. The same manifest, content, launcher, key and source date epoch give
// byte-identical files.
package bundle
