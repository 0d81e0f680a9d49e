package probe

import "gonum.org/v1/gonum/mat"

// gramTo sets g to scale·XᵀX over the rows of the row-major n×d matrix x listed
// in rows. It transposes those rows once so that columns are contiguous, then
// computes four columns of G per sweep over the others: each column read from
// cache feeds four dot products.
func gramTo(g *mat.SymDense, x []float64, rows []int, d int, scale float64) {
	m := len(rows)
	xt := make([]float64, d*m)
	for k, i := range rows {
		for j, v := range x[i*d : (i+1)*d] {
			xt[j*m+k] = v
		}
	}
	col := func(j int) []float64 { return xt[j*m : (j+1)*m] }
	j := 0
	for ; j+4 <= d; j += 4 {
		c0, c1, c2, c3 := col(j), col(j+1), col(j+2), col(j+3)
		for k := j; k < d; k++ {
			s0, s1, s2, s3 := dot4Kernel(c0, c1, c2, c3, col(k))
			g.SetSym(j, k, scale*s0)
			if k > j {
				g.SetSym(j+1, k, scale*s1)
			}
			if k > j+1 {
				g.SetSym(j+2, k, scale*s2)
			}
			if k > j+2 {
				g.SetSym(j+3, k, scale*s3)
			}
		}
	}
	for ; j < d; j++ {
		for k := j; k < d; k++ {
			g.SetSym(j, k, scale*dotKernel(col(j), col(k)))
		}
	}
}
