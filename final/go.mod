module github.com/http-from-scratch/workbook/final

go 1.25.0

require (
	github.com/fatih/color v1.19.0
	golang.org/x/sys v0.42.0
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
)
