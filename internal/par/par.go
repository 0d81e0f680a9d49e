// Package par runs the independent iterations of a loop on every core: the
// probe fits of a grid, the layers of an alignment. Results stay where the
// iteration writes them, so the output does not depend on the schedule, and a
// panic in one iteration comes back as that iteration's error.
package par

import (
	"fmt"
	"runtime"
	"sync"
)

// For runs f(i) for i in [0, n) on GOMAXPROCS workers and returns the error of
// the lowest i that failed (a panic counts as an error), after every call has
// returned.
func For(n int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(n, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = call(f, i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func call(f func(int) error, i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return f(i)
}
