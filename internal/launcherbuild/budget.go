package launcherbuild

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadBudgets reads a size budget file (launcher/cmd/flavor-launcher/size-budget.txt): lines of
// "os/arch bytes", # comments. It returns the most bytes each platform's launcher may have.
func ReadBudgets(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the launcher size budgets: %w", err)
	}
	defer f.Close()
	budgets := map[string]int64{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		n, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
		if len(fields) != 2 || err != nil || n <= 0 {
			return nil, fmt.Errorf("%s:%d: want \"os/arch bytes\", got %q", path, line, sc.Text())
		}
		budgets[fields[0]] = n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return budgets, nil
}
