package planted

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/probe"
	"github.com/ifprobe/ifprobe/pkg/probeset"
	"gonum.org/v1/gonum/mat"
)

// Component plants part of a task's label signal along one shared direction.
type Component struct {
	Direction int     // index of a random orthonormal direction shared by all tasks
	Weight    float64 // separation between the class means along it, in noise SDs
}

// Config plants known structure in Gaussian activations. For task t at layer
// l and position p, an example with label y has activation
//
//	x = noise + (y - ½) · Scale(t, l, p) · Σ_c Weight_c · u_{Direction_c}
//
// where noise ~ N(0, I_D) and the u are random orthonormal directions. Tasks that
// share a direction transfer to each other; erasing one task's direction hurts every
// task that uses it; Scale shapes the layer onsets and the temporal rise.
type Config struct {
	Name       string
	Tasks      []probeset.Task
	Components map[string][]Component // per task; default: one own direction, weight 3
	// Scale multiplies the signal of a task at a layer and position; default 1.
	Scale     func(task string, layer int, position hook.Position) float64
	N         int // examples per task (default 160)
	D         int // dimension (default 32)
	Groups    int // base requests shared by all tasks (default N/2)
	NumLayers int // default 8
	Positions []hook.Position
	Seed      uint64
}

// Study is an in-memory Source with planted structure; see Config.
type Study struct {
	cfg    Config
	dirs   *mat.Dense // [nDirs, D], orthonormal rows
	labels map[string][]int
	groups map[string][]int
	noise  map[string]*mat.Dense // per task, fixed across layers/positions: [N, D]
}

// New draws a synthetic study.
func New(cfg Config) (*Study, error) {
	if len(cfg.Tasks) == 0 {
		return nil, fmt.Errorf("planted: no tasks")
	}
	if cfg.N == 0 {
		cfg.N = 160
	}
	if cfg.D == 0 {
		cfg.D = 32
	}
	if cfg.Groups == 0 {
		cfg.Groups = cfg.N / 2
	}
	if cfg.NumLayers == 0 {
		cfg.NumLayers = 8
	}
	if len(cfg.Positions) == 0 {
		cfg.Positions = []hook.Position{hook.PromptLast}
	}
	if cfg.Name == "" {
		cfg.Name = "synthetic"
	}
	if cfg.Components == nil {
		cfg.Components = map[string][]Component{}
	}
	nDirs := 0
	for i, t := range cfg.Tasks {
		if _, ok := cfg.Components[t.Name]; !ok {
			cfg.Components[t.Name] = []Component{{Direction: i, Weight: 3}}
		}
		for _, c := range cfg.Components[t.Name] {
			nDirs = max(nDirs, c.Direction+1)
		}
	}
	if nDirs > cfg.D {
		return nil, fmt.Errorf("planted: %d directions need D >= %d (D = %d)", nDirs, nDirs, cfg.D)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	s := &Study{cfg: cfg, dirs: orthonormalRows(rng, nDirs, cfg.D),
		labels: map[string][]int{}, groups: map[string][]int{}, noise: map[string]*mat.Dense{}}
	for _, t := range cfg.Tasks {
		y, g := make([]int, cfg.N), make([]int, cfg.N)
		nz := mat.NewDense(cfg.N, cfg.D, nil)
		for i := range y {
			y[i] = i % 2
			g[i] = (i / 2) % cfg.Groups
			for j := 0; j < cfg.D; j++ {
				nz.Set(i, j, rng.NormFloat64())
			}
		}
		rng.Shuffle(len(y), func(i, j int) { y[i], y[j] = y[j], y[i] })
		s.labels[t.Name], s.groups[t.Name], s.noise[t.Name] = y, g, nz
	}
	return s, nil
}

// orthonormalRows draws k random orthonormal vectors in R^d (Gram–Schmidt).
func orthonormalRows(rng *rand.Rand, k, d int) *mat.Dense {
	m := mat.NewDense(max(k, 1), d, nil)
	for i := 0; i < k; i++ {
		row := m.RawRowView(i)
		for {
			for j := range row {
				row[j] = rng.NormFloat64()
			}
			for p := 0; p < i; p++ {
				prev := m.RawRowView(p)
				dot := 0.0
				for j := range row {
					dot += row[j] * prev[j]
				}
				for j := range row {
					row[j] -= dot * prev[j]
				}
			}
			n := 0.0
			for _, v := range row {
				n += v * v
			}
			if n = math.Sqrt(n); n > 1e-6 {
				for j := range row {
					row[j] /= n
				}
				break
			}
		}
	}
	return m
}

// Direction returns planted direction i (length D, unit norm).
func (s *Study) Direction(i int) []float64 { return slices.Clone(s.dirs.RawRowView(i)) }

// Model implements Source.
func (s *Study) Model() string { return s.cfg.Name }

// Tasks implements Source.
func (s *Study) Tasks() []probeset.Task { return slices.Clone(s.cfg.Tasks) }

// Layers implements Source.
func (s *Study) Layers() []int {
	l := make([]int, s.cfg.NumLayers)
	for i := range l {
		l[i] = i
	}
	return l
}

// NumLayers implements Source.
func (s *Study) NumLayers() int { return s.cfg.NumLayers }

// Positions implements Source.
func (s *Study) Positions() []hook.Position { return slices.Clone(s.cfg.Positions) }

// Dataset implements Source.
func (s *Study) Dataset(task string, layer int, position hook.Position) (probe.Dataset, error) {
	y, ok := s.labels[task]
	if !ok || layer < 0 || layer >= s.cfg.NumLayers || !slices.Contains(s.cfg.Positions, position) {
		return probe.Dataset{}, fmt.Errorf("planted: %s L%d %s: %w", task, layer, position, probeset.ErrNoData)
	}
	scale := 1.0
	if s.cfg.Scale != nil {
		scale = s.cfg.Scale(task, layer, position)
	}
	x := mat.DenseCopyOf(s.noise[task])
	for i := range y {
		row := x.RawRowView(i)
		sign := float64(y[i]) - 0.5
		for _, c := range s.cfg.Components[task] {
			u := s.dirs.RawRowView(c.Direction)
			for j := range row {
				row[j] += sign * scale * c.Weight * u[j]
			}
		}
	}
	return probe.Dataset{Name: fmt.Sprintf("%s/L%d/%s", task, layer, position), X: x,
		Y: slices.Clone(y), Groups: slices.Clone(s.groups[task])}, nil
}
