// Command workbook starts and grades a student's own server, stage by
// stage: `go run ./testscripts/workbook` from the workbook folder, without
// arguments for its usage. It runs the same scripts as `go test ./...`.
package main

import (
	"os"

	"github.com/http-from-scratch/workbook/testscripts"
)

func main() {
	os.Exit(testscripts.Main(os.Args[1:], os.Stdout, os.Stderr))
}
