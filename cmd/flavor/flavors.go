package main

import (
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/flavor-dev/flavor/specs/flavor"
)

// flavorsCommand is `flavor flavors`: score trove flavors against a system flavor and print
// flavors in canonical form.
func flavorsCommand() *cli.Command {
	return &cli.Command{
		Name:  "flavors",
		Usage: "score and format Conary flavors",
		Subcommands: []*cli.Command{
			{
				Name:      "score",
				Usage:     "score trove flavors against a system flavor (higher is better; incompatible ones cannot be used)",
				ArgsUsage: "TROVE…",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "system", Required: true, Usage: "the system `FLAVOR`, e.g. \"~ssl,~!debug is: x86_64\""},
				},
				Action: flavorsScore,
			},
			{
				Name:      "format",
				Usage:     "print flavors in canonical form",
				ArgsUsage: "FLAVOR…",
				Action:    flavorsFormat,
			},
		},
	}
}

type flavorsScoreResult struct {
	Trove      string `json:"trove"`
	Compatible bool   `json:"compatible"`
	Score      *int   `json:"score"`
}

func flavorsScore(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() == 0 {
		return errors.New("flavors score: give at least one trove flavor")
	}
	system, err := flavor.Parse(c.String("system"))
	if err != nil {
		return fmt.Errorf("flavors score: --system: %w", err)
	}
	results := make([]flavorsScoreResult, 0, c.NArg())
	for i, arg := range c.Args().Slice() {
		trove, err := flavor.Parse(arg)
		if err != nil {
			return fmt.Errorf("flavors score: trove %d: %w", i+1, err)
		}
		r := flavorsScoreResult{Trove: trove.String()}
		if s, ok := system.Score(trove); ok {
			r.Compatible, r.Score = true, &s
		}
		results = append(results, r)
	}
	w := c.App.Writer
	if o.json {
		return writeJSON(w, struct {
			System string               `json:"system"`
			Troves []flavorsScoreResult `json:"troves"`
		}{system.String(), results})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range results {
		score := "incompatible"
		if r.Compatible {
			score = strconv.Itoa(*r.Score)
		}
		fmt.Fprintf(tw, "%s\t%s\n", score, r.Trove)
	}
	return tw.Flush()
}

func flavorsFormat(c *cli.Context) error {
	o, err := newOutput(c)
	if err != nil {
		return err
	}
	if c.NArg() == 0 {
		return errors.New("flavors format: give at least one flavor")
	}
	type formatted struct {
		Input  string `json:"input"`
		Flavor string `json:"flavor"`
	}
	var out []formatted
	for i, arg := range c.Args().Slice() {
		f, err := flavor.Parse(arg)
		if err != nil {
			return fmt.Errorf("flavors format: flavor %d: %w", i+1, err)
		}
		out = append(out, formatted{arg, f.String()})
	}
	if o.json {
		return writeJSON(c.App.Writer, out)
	}
	for _, f := range out {
		if _, err := fmt.Fprintln(c.App.Writer, f.Flavor); err != nil {
			return err
		}
	}
	return nil
}
