// Package sbom says what a .psp holds and how it was made, in the formats scanners and policy
// engines read: an SPDX 2.3 JSON document, a CycloneDX 1.6 JSON BOM and an in-toto statement
// with SLSA provenance v1, all written from one Description.
//
// A Description lists the package (name, version, platform, flavor, signing key), every file of
// every slot with its SHA-256 and SHA-1, the spec-tree packages the slots were built from (cache
// key, artifact digest, base image by digest, license and description of definition.yaml), the
// distribution packages that own shipped files (from the build root's dpkg or apk database, see
// package pkgdb) and the Python distributions whose *.dist-info ship, each with its package URL.
// Its documents are byte-for-byte reproducible: the same Description gives the same bytes, with
// times from SOURCE_DATE_EPOCH only.
//
// Files are found by scanning a slot's input stream, a tar stream or a single file's bytes
// (Scanner, used as the packer's slot tap while a package is written), or by decoding the slots
// of any .psp (Read: FlavorPack-built packages get a files-only SBOM). The documents travel
// inside the .psp as slots the launcher never extracts (lifecycle "lazy", see Slots), covered by
// the signature through their checksums in the signed metadata; Check compares them with the
// slots they describe.
package sbom
