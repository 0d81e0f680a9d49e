package faultinject

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

func TestNoSpace(t *testing.T) {
	defer Arm(Off, 0)
	var a bytes.Buffer
	if Writer(&a) != &a {
		t.Fatal("disarmed: the writer is wrapped")
	}
	Arm(NoSpace, 10)
	w := Writer(&a)
	if n, err := w.Write([]byte("123456")); n != 6 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	n, err := Writer(&a).Write([]byte("abcdefgh"))
	if n != 4 || !errors.Is(err, syscall.ENOSPC) || a.String() != "123456abcd" {
		t.Fatalf("write across the byte: %d, %v, %q", n, err, a.String())
	}
	if n, err := w.Write([]byte("x")); n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("after the disk filled: %d, %v", n, err)
	}
	Arm(Count, 0)
	Writer(&a).Write([]byte("xyz"))
	if Written() != 3 {
		t.Errorf("counted %d bytes", Written())
	}
}

// TestKill: the process dies at the byte, with the bytes before it on disk.
func TestKill(t *testing.T) {
	if p := os.Getenv("FAULTINJECT_KILL"); p != "" {
		f, _ := os.Create(p)
		Arm(Kill, 5)
		Writer(f).Write([]byte("0123456789"))
		t.Fatal("still alive")
	}
	p := filepath.Join(t.TempDir(), "f")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill$")
	cmd.Env = append(os.Environ(), "FAULTINJECT_KILL="+p)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "01234" {
		t.Errorf("file %q, want the 5 bytes before the kill", b)
	}
}
