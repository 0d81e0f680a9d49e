package vader

import "testing"

// BenchmarkPolarityScores scores every text of the reference fixture (23,728
// tweets, reviews and editorial snippets) once per iteration. The Python peer is
// timed on the same texts by scripts/fixtures/tasks/bench_vader.sh.
func BenchmarkPolarityScores(b *testing.B) {
	recs := loadReference(b)
	a := Default()
	b.ResetTimer()
	for range b.N {
		for _, r := range recs {
			a.PolarityScores(r.Text)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}
