package compute

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDevices(t *testing.T) {
	for s, want := range map[string]Devices{"1": 1, " 4 ": 4, "all": AllDevices} {
		got, err := ParseDevices(s)
		if err != nil || got != want {
			t.Errorf("ParseDevices(%q) = %v, %v; want %v", s, got, err, want)
		}
		if again, _ := ParseDevices(got.String()); again != got {
			t.Errorf("%q: String %q does not parse back", s, got.String())
		}
	}
	for _, s := range []string{"0", "-1", "", "two", "All"} {
		if _, err := ParseDevices(s); !errors.Is(err, ErrDevices) || !strings.Contains(err.Error(), "all") {
			t.Errorf("ParseDevices(%q): %v, want ErrDevices saying what is accepted", s, err)
		}
	}
}

// TestDevicesCount: SimpleGo has one device; all is Info.Devices; a count above
// the backend's is refused with the numbers.
func TestDevicesCount(t *testing.T) {
	b, info, err := Open("go")
	if err != nil {
		t.Fatal(err)
	}
	if info.Devices != 1 {
		t.Errorf("SimpleGo: Info.Devices %d, want 1", info.Devices)
	}
	for _, d := range []Devices{0, 1, AllDevices} {
		if n, err := d.Count(b, info); n != 1 || err != nil {
			t.Errorf("%v.Count = %d, %v; want 1", d, n, err)
		}
	}
	_, err = Devices(2).Count(b, info)
	if !errors.Is(err, ErrDevices) || !strings.Contains(err.Error(), "2 devices asked, the go backend has 1") {
		t.Errorf("2 devices on SimpleGo: %v", err)
	}
}

// TestRequestCPUDevices: a count sets $IFPROBE_CPU_DEVICES unless the user did;
// one device and all change nothing; a bad value fails when a backend opens.
func TestRequestCPUDevices(t *testing.T) {
	t.Setenv(EnvCPUDevices, "")
	for _, d := range []Devices{1, AllDevices} {
		RequestCPUDevices(d)
		if n, err := cpuDevices(); n != 0 || err != nil {
			t.Errorf("after RequestCPUDevices(%v): %d, %v; want unset", d, n, err)
		}
	}
	RequestCPUDevices(2)
	if n, err := cpuDevices(); n != 2 || err != nil {
		t.Errorf("after RequestCPUDevices(2): %d, %v; want 2", n, err)
	}
	t.Setenv(EnvCPUDevices, "3")
	RequestCPUDevices(2)
	if n, _ := cpuDevices(); n != 3 {
		t.Errorf("the user's $%s=3 became %d", EnvCPUDevices, n)
	}
	t.Setenv(EnvCPUDevices, "x")
	if _, _, err := Open("go"); !errors.Is(err, ErrDevices) || !strings.Contains(err.Error(), EnvCPUDevices) {
		t.Errorf("$%s=x: Open gave %v, want ErrDevices naming the variable", EnvCPUDevices, err)
	}
}
