// Package pyproject turns a Python application's manifest (a pyproject.toml with FlavorPack's
// entry_point, python_version or [tool.flavor.python]; see manifest.Python) into what flavor
// builds and packs: a generated spec tree of two packages built in containers of the Python
// image of each target platform, and the manifest that installs them as two slots and runs the
// entry point with the packed interpreter.
//
//   - python/runtime: the image's interpreter, standard library and the ELF closure of
//     both (glibc's loader and every library the interpreter and its extension modules need),
//     plus the project's dependencies installed with pip (install_deps), byte-compiled
//     deterministically. Its package directory holds the dependency list and the find_links
//     directories, not the project's code, so editing the app leaves its cache key alone (and
//     projects with the same image, version and dependencies share it).
//   - python/<project>: the project installed with pip (no dependencies) and its console scripts;
//     the build checks that the entry point imports.
//
// Both builds run build.py (embedded here) in the image. The command is the packed interpreter
// started through the package's own loader (portable), with PYTHONHOME and PYTHONPATH inside the
// workenv, the host's PYTHON* variables removed and bytecode writes off.
package pyproject
