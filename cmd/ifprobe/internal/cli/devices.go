package cli

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/spf13/cobra"
)

// devicesUsage is the help of --devices, one definition for every command that
// generates.
const devicesUsage = `devices to generate on at once, each with its own copy of the weights: a count, or all ` +
	`(every GPU; on the CPU one, since XLA's host devices share its cores: a count there is for testing)`

// addDevicesFlag defines --devices on cmd.
func addDevicesFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "devices", "1", devicesUsage)
}

// openBackend opens the backend of --backend (choice) for --devices (devices):
// an XLA CPU client is asked for as many host devices first, and the count is
// checked against what the backend has. cmd names the command in errors.
func openBackend(cmd, choice, devices string) (backends.Backend, compute.Info, int, error) {
	d, err := compute.ParseDevices(devices)
	if err != nil {
		return nil, compute.Info{}, 0, Usagef("%s: --devices: %v", cmd, err)
	}
	compute.RequestCPUDevices(d)
	b, info, err := compute.Open(choice)
	if err != nil {
		return nil, info, 0, Usagef("%s: --backend: %v", cmd, err)
	}
	n, err := d.Count(b, info)
	if err != nil {
		return nil, info, 0, Usagef("%s: --devices: %v", cmd, err)
	}
	return b, info, n, nil
}
