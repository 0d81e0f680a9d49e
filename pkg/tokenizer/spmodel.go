package tokenizer

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// maxSPModelBytes bounds tokenizer.model (Gemma 3's is 4.7 MB).
const maxSPModelBytes = 256 << 20

// FromSentencePiece builds the tokenizer of a SentencePiece tokenizer.model
// (a serialized ModelProto) of type BPE with the "identity" normalizer, as
// Llama 2 and Gemma ship. Encoding follows llama.cpp (see the package doc);
// it equals SentencePiece's own on text without user-defined symbols.
func FromSentencePiece(path string) (*Model, error) {
	v := &vocab{source: filepath.Base(path), kind: SentencePieceBPE, bos: NoToken, eos: NoToken, eot: NoToken, unk: NoToken, pad: NoToken, eom: NoToken}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if st.Size() > maxSPModelBytes {
		return nil, v.errorf(ErrInvalid, "%d bytes is more than the %d a tokenizer.model may have", st.Size(), maxSPModelBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return fromSPProto(v, data)
}

// SentencePiece ModelProto field numbers (sentencepiece_model.proto).
const (
	spPieces         = 1 // ModelProto.pieces
	spTrainerSpec    = 2
	spNormalizerSpec = 3
	spPiece          = 1 // SentencePiece.piece
	spScore          = 2
	spType           = 3
	spModelType      = 3 // TrainerSpec.model_type: 1 unigram, 2 bpe
	spByteFallback   = 35
	spUnkID          = 40
	spBosID          = 41
	spEosID          = 42
	spPadID          = 43
	spNormName       = 1 // NormalizerSpec.name
	spAddDummyPrefix = 3
	spRemoveExtraWS  = 4
)

func fromSPProto(v *vocab, data []byte) (*Model, error) {
	modelType, unk, bos, eos, pad := int64(1), int64(0), int64(1), int64(2), int64(-1)
	normName, addDummy, removeWS := "", true, true
	err := protoFields(data, func(field int, wire int, val uint64, b []byte) error {
		switch field {
		case spPieces:
			if wire != 2 {
				return fmt.Errorf("pieces: wire type %d", wire)
			}
			piece, score, typ := "", float32(0), int64(TypeNormal)
			if err := protoFields(b, func(f, w int, x uint64, pb []byte) error {
				switch {
				case f == spPiece && w == 2:
					piece = string(pb)
				case f == spScore && w == 5:
					score = math.Float32frombits(uint32(x))
				case f == spType && w == 0:
					typ = int64(x)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("piece %d: %w", len(v.tokens), err)
			}
			v.tokens = append(v.tokens, piece)
			v.scores = append(v.scores, score)
			v.types = append(v.types, TokenType(typ))
		case spTrainerSpec:
			return protoFields(b, func(f, w int, x uint64, _ []byte) error {
				if w != 0 {
					return nil
				}
				switch f {
				case spModelType:
					modelType = int64(x)
				case spUnkID:
					unk = int64(int32(x))
				case spBosID:
					bos = int64(int32(x))
				case spEosID:
					eos = int64(int32(x))
				case spPadID:
					pad = int64(int32(x))
				}
				return nil
			})
		case spNormalizerSpec:
			return protoFields(b, func(f, w int, x uint64, nb []byte) error {
				switch {
				case f == spNormName && w == 2:
					normName = string(nb)
				case f == spAddDummyPrefix && w == 0:
					addDummy = x != 0
				case f == spRemoveExtraWS && w == 0:
					removeWS = x != 0
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, v.errorf(ErrInvalid, "%v", err)
	}
	if modelType != 2 {
		return nil, v.errorf(ErrUnsupported, "trainer_spec.model_type %d (only 2, BPE, is implemented; 1 is unigram)", modelType)
	}
	if normName != "identity" || removeWS {
		return nil, v.errorf(ErrUnsupported, "normalizer %q with remove_extra_whitespaces=%v (only the identity normalizer without whitespace folding is implemented)", normName, removeWS)
	}
	for _, p := range []struct {
		id  int64
		dst *int
	}{{unk, &v.unk}, {bos, &v.bos}, {eos, &v.eos}, {pad, &v.pad}} {
		if p.id >= 0 && p.id < int64(len(v.tokens)) {
			*p.dst = int(p.id)
		}
	}
	v.addSpace, v.addSpaceSet = addDummy, true
	return newModel(v)
}

// protoFields walks the fields of one protobuf message. For varint and
// fixed fields val holds the value; for length-delimited ones b the bytes.
func protoFields(data []byte, each func(field, wire int, val uint64, b []byte) error) error {
	for i := 0; i < len(data); {
		key, n := binary.Uvarint(data[i:])
		if n <= 0 {
			return fmt.Errorf("bad field key at byte %d", i)
		}
		i += n
		field, wire := int(key>>3), int(key&7)
		var val uint64
		var b []byte
		switch wire {
		case 0:
			val, n = binary.Uvarint(data[i:])
			if n <= 0 {
				return fmt.Errorf("bad varint at byte %d", i)
			}
			i += n
		case 1:
			if i+8 > len(data) {
				return fmt.Errorf("truncated fixed64 at byte %d", i)
			}
			val = binary.LittleEndian.Uint64(data[i:])
			i += 8
		case 2:
			l, n := binary.Uvarint(data[i:])
			if n <= 0 || l > uint64(len(data)-i-n) {
				return fmt.Errorf("field %d: length beyond the data at byte %d", field, i)
			}
			i += n
			b = data[i : i+int(l)]
			i += int(l)
		case 5:
			if i+4 > len(data) {
				return fmt.Errorf("truncated fixed32 at byte %d", i)
			}
			val = uint64(binary.LittleEndian.Uint32(data[i:]))
			i += 4
		default:
			return fmt.Errorf("field %d: unsupported wire type %d", field, wire)
		}
		if err := each(field, wire, val, b); err != nil {
			return err
		}
	}
	return nil
}
