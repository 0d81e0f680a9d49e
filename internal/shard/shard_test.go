package shard

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for i, c := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"", Shard{}, ""},           // 0: the whole job
		{"3/16", Shard{3, 16}, ""},  // 1
		{" 0/1 ", Shard{0, 1}, ""},  // 2
		{"16/16", Shard{}, "index"}, // 3: 0-based
		{"-1/4", Shard{}, "index"},  // 4
		{"3", Shard{}, "INDEX/COUNT"},
		{"a/b", Shard{}, "INDEX/COUNT"},
		{"1/0", Shard{}, "index"},
	} {
		got, err := Parse(c.in)
		if c.err != "" {
			if !errors.Is(err, ErrBad) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%d: Parse(%q) = %v, %v; want an error containing %q", i, c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%d: Parse(%q) = %v, %v; want %v", i, c.in, got, err, c.want)
		}
	}
}

// TestAuto reads the environment of a Slurm array task and of a Kubernetes
// Indexed Job pod, and refuses what would make parts disagree.
func TestAuto(t *testing.T) {
	for i, c := range []struct {
		env  map[string]string
		want Shard
		err  string
	}{
		{map[string]string{EnvSlurmID: "3", EnvSlurmCount: "16", EnvSlurmMin: "0", EnvSlurmMax: "15"}, Shard{3, 16}, ""}, // 0: --array=0-15
		{map[string]string{EnvSlurmID: "1", EnvSlurmCount: "4", EnvSlurmMin: "1", EnvSlurmMax: "4"}, Shard{0, 4}, ""},    // 1: --array=1-4
		{map[string]string{EnvSlurmID: "2", EnvSlurmCount: "3"}, Shard{2, 3}, ""},                                        // 2
		{map[string]string{EnvK8sIndex: "5", EnvCount: "8"}, Shard{5, 8}, ""},                                            // 3
		{map[string]string{EnvSlurmID: "4", EnvSlurmCount: "3", EnvSlurmMin: "0", EnvSlurmMax: "6", EnvSlurmStep: "2"}, Shard{}, "step 2"},
		{map[string]string{EnvSlurmID: "4", EnvSlurmCount: "3", EnvSlurmMin: "0", EnvSlurmMax: "4"}, Shard{}, "contiguous"},
		{map[string]string{EnvSlurmID: "1"}, Shard{}, EnvSlurmCount},
		{map[string]string{EnvSlurmID: "1", EnvSlurmCount: "4", EnvCount: "5"}, Shard{}, "disagrees"},
		{map[string]string{EnvK8sIndex: "2"}, Shard{}, EnvCount},
		{map[string]string{EnvK8sIndex: "8", EnvCount: "8"}, Shard{}, "index"},
		{map[string]string{EnvK8sIndex: "x", EnvCount: "8"}, Shard{}, "not an integer"},
		{map[string]string{}, Shard{}, "neither"},
	} {
		got, err := Auto(func(k string) string { return c.env[k] })
		if c.err != "" {
			if !errors.Is(err, ErrBad) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%d: Auto(%v) = %v, %v; want an error containing %q", i, c.env, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%d: Auto(%v) = %v, %v; want %v", i, c.env, got, err, c.want)
		}
	}
}

// TestOwns: every unit belongs to exactly one part.
func TestOwns(t *testing.T) {
	for n := 1; n <= 5; n++ {
		for u := range 23 {
			owners := 0
			for i := range n {
				if (Shard{i, n}).Owns(u) {
					owners++
				}
			}
			if owners != 1 {
				t.Errorf("unit %d of %d parts has %d owners", u, n, owners)
			}
		}
	}
	if !(Shard{}).Owns(7) {
		t.Error("the whole job does not own unit 7")
	}
}
