package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// sourceDateEpoch reads SOURCE_DATE_EPOCH (reproducible-builds.org): whole non-negative seconds
// since 1970, surrounding space allowed. It is the only reader of the variable: the libraries
// take the time as an option (WithSourceDateEpoch). Unset or empty gives nil.
func sourceDateEpoch() (*time.Time, error) {
	v := strings.TrimSpace(os.Getenv("SOURCE_DATE_EPOCH"))
	if v == "" {
		return nil, nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative whole number of seconds since 1970 (e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%%ct)); fix or unset it", v)
	}
	t := time.Unix(secs, 0).UTC()
	return &t, nil
}
