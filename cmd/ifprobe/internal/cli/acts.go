package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ifprobe/ifprobe/pkg/acts"
)

func init() { register(newActsCmd) }

func newActsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acts <command>",
		Short: "Inspect, verify and repair activation stores",
		Long: `An activation store (written by 'capture', 'dataset build' and 'reproduce') is a
directory with manifest.json and safetensors shards; the manifest records each
shard's size and sha256, and every read checks them.`,
	}
	cmd.AddCommand(newActsVerifyCmd())
	return cmd
}

func newActsVerifyCmd() *cobra.Command {
	var repair bool
	cmd := &cobra.Command{
		Use:   "verify [--repair] DIR",
		Short: "Check every shard of a store against its manifest (sha256, layout, ids)",
		Long: `Verify rehashes every shard of the store in DIR and checks it against the
manifest: size, sha256, tensors, shapes, dtype and example ids. A sound store exits 0;
a damaged one prints the first damaged shard and exits 1.

--repair cuts a damaged store at its first damaged shard: that shard and every later
one leave the manifest and the disk, with their examples. Rerunning the command that
wrote the store (reproduce, dataset build, capture) then regenerates exactly those
examples, and the store ends up byte-identical to an undisturbed run. DIR may also be
a 'dataset build' directory (its acts/ is used).`,
		Example: "  ifprobe acts verify runs/quick/smollm2-135m-instruct/data/acts\n" +
			"  ifprobe acts verify --repair runs/quick/smollm2-135m-instruct/data",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return Usagef("acts verify: give exactly one store directory, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := storeDir(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if repair {
				rep, err := acts.Repair(dir)
				if err != nil {
					return err
				}
				if rep.Shard < 0 {
					fmt.Fprintf(out, "%s: sound, %d examples; nothing to repair\n", dir, rep.Kept)
					return nil
				}
				fmt.Fprintf(out, "%s: shard %d was damaged (%s)\nrepaired: dropped %d shard(s) and their %d examples, kept %d; rerun the command that wrote the store to regenerate them\n",
					dir, rep.Shard, rep.Problem, rep.Shards, rep.Examples, rep.Kept)
				return nil
			}
			s, err := acts.Open(dir)
			if err != nil {
				return err
			}
			if err := s.Verify(); err != nil {
				return err
			}
			m := s.Manifest()
			fmt.Fprintf(out, "%s: sound: %d shards, %d examples, every sha256 matches\n", dir, len(m.Shards), s.Len())
			return nil
		},
	}
	cmd.Flags().BoolVar(&repair, "repair", false, "cut the store at its first damaged shard so that a rerun regenerates the rest")
	return cmd
}

// storeDir returns dir when it holds an activation store, or dir/acts when that does
// (a 'dataset build' directory); otherwise a usage error.
func storeDir(dir string) (string, error) {
	for _, d := range []string{dir, filepath.Join(dir, "acts")} {
		if _, err := os.Stat(filepath.Join(d, acts.ManifestFile)); err == nil {
			return d, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	return "", Usagef("acts verify: %s holds no activation store (no %s in it or in %s)", dir, acts.ManifestFile, filepath.Join(dir, "acts"))
}
