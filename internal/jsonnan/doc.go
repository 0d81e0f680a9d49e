// Package jsonnan marshals Go values to JSON like encoding/json, except that NaN and
// ±Inf floats, which JSON cannot represent, are written as null instead of failing
// the whole encoding. Results of statistics are full of legitimately undefined
// values (an AUROC on one class, a bootstrap with no valid resample): one of them
// must not make a result unsavable.
//
// Types with their own MarshalJSON (stats.Interval, time.Time, ...) are encoded by
// it. Read results back with Unmarshal, which gives NaN for a null float wherever it
// is (encoding/json leaves a plain float64 at zero: an undefined selectivity would
// come back as 0), so that a result survives a save and load unchanged.
package jsonnan
