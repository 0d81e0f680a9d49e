package par_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ifprobe/ifprobe/internal/par"
)

func TestForRunsEveryIndexOnce(t *testing.T) {
	got := make([]int, 100)
	if err := par.For(len(got), func(i int) error { got[i]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != 1 {
			t.Fatalf("index %d ran %d times", i, v)
		}
	}
}

func TestForLowestErrorAndPanic(t *testing.T) {
	err := par.For(10, func(i int) error {
		switch i {
		case 3:
			panic("boom")
		case 7:
			return errors.New("seven")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want the panic of index 3", err)
	}
	if err := par.For(0, func(int) error { return errors.New("never") }); err != nil {
		t.Fatal(err)
	}
}
