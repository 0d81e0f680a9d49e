// Command ifprobe reproduces and extends the study "How LLMs Follow Instructions:
// Skillful Coordination, Not a Universal Mechanism" on real instruction-tuned models.
//
// Run `ifprobe help` for the command list; the code lives in internal/cli.
package main

import (
	"os"

	"github.com/ifprobe/ifprobe/cmd/ifprobe/internal/cli"
)

func main() { os.Exit(int(cli.Main(os.Args[1:]))) }
