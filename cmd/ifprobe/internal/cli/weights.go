package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ifprobe/ifprobe/pkg/model"
)

// weightsUsage is the help of --weights, the same on every command that loads a
// model.
const weightsUsage = "type the model's weights are kept in: f32, bf16 (half the memory) or f16 (XLA only); computation stays f32"

// addWeightsFlag defines --weights on f, parsed into *w (default f32). A value
// model.ParseWeightDType does not accept fails flag parsing: a usage error naming
// --weights (exit 2).
func addWeightsFlag(f *pflag.FlagSet, w *model.WeightDType) {
	*w = model.WeightsF32
	f.Var(weightsValue{w}, "weights", weightsUsage)
}

type weightsValue struct{ p *model.WeightDType }

func (v weightsValue) String() string {
	if v.p == nil {
		return ""
	}
	return string(*v.p)
}

func (v weightsValue) Set(s string) error {
	d, err := model.ParseWeightDType("--weights", s)
	if err != nil {
		return err
	}
	*v.p = d
	return nil
}

func (weightsValue) Type() string { return "dtype" }

// weightsListValue is bench's --weights: a comma-separated sweep, each entry as
// --weights of the other commands, measured in the order given. Unlike other
// lists an entry may repeat: f32,bf16,bf16,f32 alternates the sides, so that a
// drift of the machine's load falls on both.
type weightsListValue struct{ p *[]model.WeightDType }

func (v weightsListValue) String() string {
	if v.p == nil {
		return ""
	}
	s := make([]string, len(*v.p))
	for i, d := range *v.p {
		s[i] = string(d)
	}
	return strings.Join(s, ",")
}

func (v weightsListValue) Set(s string) error {
	var out []model.WeightDType
	for _, p := range strings.Split(s, ",") {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("--weights %q: an empty entry (give types separated by single commas)", s)
		}
		d, err := model.ParseWeightDType("--weights", p)
		if err != nil {
			return err
		}
		out = append(out, d)
	}
	*v.p = out
	return nil
}

func (weightsListValue) Type() string { return "dtypes" }
