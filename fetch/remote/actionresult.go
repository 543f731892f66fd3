package remote

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// outputPath names the archive inside the ActionResult airlock stores. Only
// an output file of this name is read back.
const outputPath = "archive"

// maxACSize bounds an AC entry: ours is about a hundred bytes; servers may
// add execution metadata (bazel-remote adds the uploader's address).
const maxACSize = 64 << 10

// Field numbers of build.bazel.remote.execution.v2 (remote_execution.proto):
// ActionResult.output_files = 2; OutputFile.path = 1, OutputFile.digest = 2;
// Digest.hash = 1, Digest.size_bytes = 2. Encoding these few fields by hand
// keeps a protobuf dependency out of the module.
const (
	fieldOutputFiles = 2
	fieldPath        = 1
	fieldDigest      = 2
	fieldHash        = 1
	fieldSizeBytes   = 2

	wireVarint = 0
	wireI64    = 1
	wireLen    = 2
	wireI32    = 5
)

// blobRef is what an AC entry says: the archive's sha256 (hex) and size.
type blobRef struct {
	SHA256 string
	Size   int64
}

// encodeActionResult encodes an ActionResult with one output file, the
// archive, referring to ref in the CAS.
func encodeActionResult(ref blobRef) []byte {
	var digest []byte
	digest = appendLen(digest, fieldHash, []byte(ref.SHA256))
	digest = binary.AppendUvarint(append(digest, fieldSizeBytes<<3|wireVarint), uint64(ref.Size))
	var file []byte
	file = appendLen(file, fieldPath, []byte(outputPath))
	file = appendLen(file, fieldDigest, digest)
	return appendLen(nil, fieldOutputFiles, file)
}

func appendLen(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field<<3|wireLen))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// errBadAC is wrapped by every decoding failure: the remote's AC entry is not
// one airlock wrote (or was altered).
var errBadAC = errors.New("not an airlock archive entry")

// decodeActionResult finds the archive's reference in an ActionResult,
// skipping every field it does not know, as protobuf readers do.
func decodeActionResult(b []byte) (blobRef, error) {
	var (
		ref   blobRef
		found bool
	)
	err := fields(b, func(num, wire int, v []byte, _ uint64) error {
		if num != fieldOutputFiles || wire != wireLen || found {
			return nil
		}
		var (
			path   string
			digest []byte
		)
		if err := fields(v, func(num, wire int, v []byte, _ uint64) error {
			switch {
			case num == fieldPath && wire == wireLen:
				path = string(v)
			case num == fieldDigest && wire == wireLen:
				digest = v
			}
			return nil
		}); err != nil {
			return err
		}
		if path != outputPath {
			return nil
		}
		found = true
		return fields(digest, func(num, wire int, v []byte, n uint64) error {
			switch {
			case num == fieldHash && wire == wireLen:
				ref.SHA256 = string(v)
			case num == fieldSizeBytes && wire == wireVarint:
				ref.Size = int64(n)
			}
			return nil
		})
	})
	switch {
	case err != nil:
		return blobRef{}, fmt.Errorf("%w: %v", errBadAC, err)
	case !found:
		return blobRef{}, fmt.Errorf("%w: no %q output file", errBadAC, outputPath)
	}
	if len(ref.SHA256) != 64 || !isLowerHex(ref.SHA256) {
		return blobRef{}, fmt.Errorf("%w: the archive's digest %q is not a sha256 in lowercase hex", errBadAC, ref.SHA256)
	}
	if ref.Size < 0 {
		return blobRef{}, fmt.Errorf("%w: negative size %d", errBadAC, ref.Size)
	}
	return ref, nil
}

func isLowerHex(s string) bool {
	if _, err := hex.DecodeString(s); err != nil {
		return false
	}
	for _, c := range s {
		if c >= 'A' && c <= 'F' {
			return false
		}
	}
	return true
}

// fields calls visit for each field of the protobuf message b: its number,
// wire type, and value (bytes for LEN, the integer for VARINT and I64/I32).
func fields(b []byte, visit func(num, wire int, v []byte, n uint64) error) error {
	for len(b) > 0 {
		key, k := binary.Uvarint(b)
		if k <= 0 {
			return errors.New("truncated field key")
		}
		b = b[k:]
		num, wire := int(key>>3), int(key&7)
		if num == 0 {
			return errors.New("field number 0")
		}
		switch wire {
		case wireVarint:
			n, k := binary.Uvarint(b)
			if k <= 0 {
				return errors.New("truncated varint")
			}
			b = b[k:]
			if err := visit(num, wire, nil, n); err != nil {
				return err
			}
		case wireI64, wireI32:
			size := 8
			if wire == wireI32 {
				size = 4
			}
			if len(b) < size {
				return errors.New("truncated fixed-size field")
			}
			var n uint64
			if size == 8 {
				n = binary.LittleEndian.Uint64(b)
			} else {
				n = uint64(binary.LittleEndian.Uint32(b))
			}
			b = b[size:]
			if err := visit(num, wire, nil, n); err != nil {
				return err
			}
		case wireLen:
			n, k := binary.Uvarint(b)
			if k <= 0 || n > uint64(len(b)-k) {
				return errors.New("truncated length-delimited field")
			}
			v := b[k : k+int(n)]
			b = b[k+int(n):]
			if err := visit(num, wire, v, 0); err != nil {
				return err
			}
		default:
			// Groups (3, 4) are deprecated and never in REAPI messages.
			return fmt.Errorf("unsupported wire type %d", wire)
		}
	}
	return nil
}
