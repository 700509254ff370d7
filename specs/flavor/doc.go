// Package flavor implements Conary flavors: parsing and printing them, scoring a trove's flavor
// against a system's, merging and overriding them, shortening them for display, and choosing the
// best variant of a package for a system.
//
// A flavor has up to three classes: use flags ("ssl,~!debug"), instruction sets
// ("is: x86(i686) x86_64") and target instruction sets ("target: sparc"). Each flag carries one of
// four senses: required ("ssl"), preferred ("~ssl"), prefer-not ("~!ssl") and disallowed
// ("!ssl"). The semantics follow conary/deps/deps.py and conary/deps/arch.py; see
// shared/spec/conary-flavors.md. Flavor values are immutable: every operation returns a new one.
//
// Where this package deliberately differs from Conary:
//   - A flag takes at most one sense prefix ("~", "!" or "~!"). Conary's regular expression also
//     lets through "!~ssl", which it then reads as a flag named "~ssl".
//   - A flag or an instruction set named twice in one class is a syntax error. Conary keeps the
//     last use flag and merges repeated instruction sets.
//   - The sections must come in the order use, is:, target:, as Conary's grammar also requires,
//     and a word ending in ':' that is not one of them is reported as an unknown section.
package flavor
