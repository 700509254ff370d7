package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/sbom"
)

// extractCommand is `flavor extract`: verify a package, then unpack slots without running it.
func extractCommand() *cli.Command {
	return &cli.Command{
		Name:      "extract",
		Usage:     "verify a package, then unpack its slots into a directory without running it",
		ArgsUsage: "PSP",
		Description: "The package is checked like `flavor verify` (header, then every selected slot's bytes)\n" +
			"before anything is written, so a damaged slot leaves the directory untouched. Slots are\n" +
			"unpacked with the launcher's rules: absolute names, \"..\", links leaving --out, devices and\n" +
			"fifos are refused, and a slot that decodes to more than its signed size is refused before\n" +
			"the excess is written. Setuid and setgid bits are stripped unless --keep-setuid.\n" +
			"Tar slots unpack at --out; single-file slots go to their target.",
		Flags: append(trustFlags(),
			&cli.StringSliceFlag{Name: "slot", Aliases: []string{"s"}, Usage: "extract only slot `N` or ID (repeat for several; default: all but the SBOM documents)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "(required) `DIR` to extract into; created when missing"},
			&cli.BoolFlag{Name: "keep-setuid", Usage: "keep the setuid and setgid bits of the package's files (stripped by default)"},
		),
		Action: extractAction,
	}
}

type extractResult struct {
	Package string          `json:"package"`
	Out     string          `json:"out"`
	Slots   []extractedSlot `json:"slots"`
}

type extractedSlot struct {
	Slot int    `json:"slot"`
	ID   string `json:"id"`
	Path string `json:"path"`
}

func extractAction(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return fmt.Errorf("extract: want one package, got %d arguments (flavor extract PSP --out DIR)", c.NArg())
	}
	out := c.String("out")
	if out == "" {
		return errors.New("extract: --out DIR is required")
	}
	tr, err := readTrust(c)
	if err != nil {
		return err
	}
	path := c.Args().First()
	ctx := c.Context
	p, err := packer.Open(ctx, path, append(tr.options(), packer.WithLogger(o.logger()))...)
	if err != nil {
		return extractFailure(err)
	}
	defer p.Close()
	slots, err := selectSlots(p, c.StringSlice("slot"))
	if err != nil {
		return err
	}
	for _, i := range slots {
		if err := p.VerifySlot(ctx, i); err != nil {
			return extractFailure(err)
		}
	}
	res := extractResult{Package: path, Out: out}
	for _, i := range slots {
		written, err := p.ExtractSlot(ctx, i, out, packer.WithSetuid(c.Bool("keep-setuid")))
		if err != nil {
			return extractFailure(err)
		}
		info, _ := p.SlotInfo(i)
		res.Slots = append(res.Slots, extractedSlot{Slot: i, ID: info.ID, Path: written})
	}
	return o.result(res, func(w io.Writer) error {
		for _, s := range res.Slots {
			fmt.Fprintf(w, "slot %d (%s) → %s\n", s.Slot, s.ID, s.Path)
		}
		return nil
	})
}

// extractFailure gives a package that fails a check the verification exit code.
func extractFailure(err error) error {
	if checkName(err) == "read" {
		return err
	}
	return &exitError{code: exitVerifyFailed, err: fmt.Errorf("extract: %s check failed: %w", checkName(err), err)}
}

// selectSlots turns --slot values (indexes or ids) into slot indexes, in the order given; none
// means every slot but the SBOM documents.
func selectSlots(p *packer.Package, want []string) ([]int, error) {
	n := p.NumSlots()
	byID := map[string]int{}
	var ids []string
	for i := 0; i < n; i++ {
		if info, ok := p.SlotInfo(i); ok {
			byID[info.ID] = i
			ids = append(ids, fmt.Sprintf("%d=%s", i, info.ID))
		}
	}
	if len(want) == 0 {
		// Every slot the launcher would unpack: the SBOM documents are read with flavor sbom.
		var all []int
		for i := 0; i < n; i++ {
			if info, ok := p.SlotInfo(i); !ok || !sbom.IsEmbeddedSlot(info.ID) {
				all = append(all, i)
			}
		}
		return all, nil
	}
	var out []int
	seen := map[int]bool{}
	for _, w := range want {
		for _, one := range strings.Split(w, ",") {
			one = strings.TrimSpace(one)
			i, ok := byID[one]
			if !ok {
				k, err := strconv.Atoi(one)
				if err != nil || k < 0 || k >= n {
					return nil, fmt.Errorf("extract: --slot %q: %s has no such slot (it has %s)", one, p.Name(), strings.Join(ids, ", "))
				}
				i = k
			}
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	return out, nil
}
