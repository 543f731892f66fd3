package bun

import (
	"encoding/binary"
	"math/bits"
)

// wyhash11 is the Wyhash of Zig's standard library v0.11.0-dev.2609 that
// bun keeps as bun.Wyhash11 and hashes an isolated store entry's peers
// with (the "+<hex>" suffix of node_modules/.bun/<name>@<version>+<hex>).
// It is not a cryptographic hash; it only has to give bun's names.
func wyhash11(seed uint64, data []byte) uint64 {
	aligned := len(data) - len(data)%32
	for off := 0; off < aligned; off += 32 {
		b := data[off : off+32]
		seed = wyMix0(le(b[0:8]), le(b[8:16]), seed) ^ wyMix1(le(b[16:24]), le(b[24:32]), seed)
	}
	rem := data[aligned:]
	switch n := len(rem); {
	case n == 0:
	case n < 8:
		seed = wyMix0(wyShort(rem), wyPrimes[4], seed)
	case n == 8:
		seed = wyMix0(swapped8(rem), wyPrimes[4], seed)
	case n < 16:
		seed = wyMix0(swapped8(rem), wyShort(rem[8:]), seed)
	case n == 16:
		seed = wyMix0(swapped8(rem), swapped8(rem[8:]), seed)
	case n < 24:
		seed = wyMix0(swapped8(rem), swapped8(rem[8:]), seed) ^ wyMix1(wyShort(rem[16:]), wyPrimes[4], seed)
	case n == 24:
		seed = wyMix0(swapped8(rem), swapped8(rem[8:]), seed) ^ wyMix1(swapped8(rem[16:]), wyPrimes[4], seed)
	default:
		seed = wyMix0(swapped8(rem), swapped8(rem[8:]), seed) ^ wyMix1(swapped8(rem[16:]), wyShort(rem[24:]), seed)
	}
	return wyMum(seed^uint64(len(data)), wyPrimes[4])
}

var wyPrimes = [5]uint64{0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3, 0x589965cc75374cc3, 0x1d8e4e27c47d124f}

func le(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// swapped8 is read_8bytes_swapped: the two little-endian halves, the first
// one high.
func swapped8(b []byte) uint64 {
	return uint64(binary.LittleEndian.Uint32(b))<<32 | uint64(binary.LittleEndian.Uint32(b[4:]))
}

// wyShort is the final block's reading of 1 to 7 bytes: the first 4, 2 or
// 1 bytes little-endian, then the rest shifted in after them.
func wyShort(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 3:
		return uint64(binary.LittleEndian.Uint16(b))<<8 | uint64(b[2])
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 5:
		return uint64(binary.LittleEndian.Uint32(b))<<8 | uint64(b[4])
	case 6:
		return uint64(binary.LittleEndian.Uint32(b))<<16 | uint64(binary.LittleEndian.Uint16(b[4:]))
	default:
		return uint64(binary.LittleEndian.Uint32(b))<<24 | uint64(binary.LittleEndian.Uint16(b[4:]))<<8 | uint64(b[6])
	}
}

func wyMum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func wyMix0(a, b, seed uint64) uint64 {
	return wyMum(a^seed^wyPrimes[0], b^seed^wyPrimes[1])
}

func wyMix1(a, b, seed uint64) uint64 {
	return wyMum(a^seed^wyPrimes[2], b^seed^wyPrimes[3])
}
