package unpack

// Limits bound what one archive may make us write or decompress. A field that
// is zero or negative takes its value from DefaultLimits, so the zero Limits is
// the default; there is deliberately no way to turn a limit off.
type Limits struct {
	// MaxFiles caps archive entries of every kind (skipped links and
	// directory entries too) plus the directories the files imply, so
	// neither empty entries nor deep paths can make unbounded work.
	MaxFiles int
	// MaxFileSize caps one file's size.
	MaxFileSize int64
	// MaxTotalSize caps the sum of all file sizes.
	MaxTotalSize int64
	// MaxRatio caps decompressed bytes per compressed byte, once more than
	// RatioGrace bytes have been decompressed.
	MaxRatio int64
	// MaxPathLength caps an entry's name in bytes, as written in the archive.
	MaxPathLength int
	// MaxDepth caps the number of segments of a path inside the package.
	MaxDepth int
}

// DefaultLimits is sized from the largest packages on the npm registry, with
// room to spare, and is still far below what would fill a disk.
var DefaultLimits = Limits{
	// @mui/icons-material 6.1.7, one of the registry's largest packages by
	// file count, has 31,858 entries; six times that stays well under a
	// minute of file creation.
	MaxFiles: 200_000,
	// The largest single files on the registry are prebuilt native
	// binaries (Next.js's SWC build, ONNX runtimes) of one to three hundred
	// MB.
	MaxFileSize: 512 << 20,
	// The largest common packages unpack to a few hundred MB; Go caps a
	// module at 500 MiB. Twice that leaves room for data packages.
	MaxTotalSize: 1 << 30,
	// Real tarballs decompress 5-10x overall (typescript 5, caniuse-lite 8)
	// and up to 26x when made of thousands of tiny files
	// (@mui/icons-material); a tarball of 10,000 empty files reaches 109x.
	// But the ratio so far is what is checked, and
	// a large run of zeros early in a genuine package drives it far higher:
	// jsdom 0.1.23 (43x overall) reaches 764x after its 28 MB gmon.out.
	// node-tar, and so npm, refuses past 1000x; deflate itself tops out
	// near 1032x. Matching npm keeps every package it installs installable
	// while MaxTotalSize still bounds the output.
	MaxRatio: 1000,
	// Package paths are rarely longer than 200 bytes; the whole install
	// path (node_modules/... prefixes included) must stay under Linux's
	// PATH_MAX of 4096.
	MaxPathLength: 1024,
	// Bundled dependencies nest node_modules a dozen levels deep; node-tar
	// drops entries deeper than 1024 segments.
	MaxDepth: 128,
}

// Fixed limits: these follow from the formats and the kernel, not from
// policy, so they are not configurable.
const (
	// RatioGrace is how many decompressed bytes are allowed before MaxRatio
	// applies, so that small but highly compressible packages (a few
	// zero-filled test fixtures) are never refused.
	RatioGrace = 8 << 20
	// EntryOverhead is the tar stream's allowance per entry beyond file
	// contents (header, padding, PAX records) when bounding the
	// decompressed stream by MaxTotalSize.
	EntryOverhead = 4 << 10
	// MaxMetaSize caps one PAX header's or GNU long name's data; node-tar
	// ignores larger ones and Go's archive/tar refuses them, so accepting
	// one would make the two disagree.
	MaxMetaSize = 1 << 20
	// MaxTrailingBytes caps what may follow the end of the tar archive
	// (GNU tar pads to 10 KiB records) or the end of the gzip stream
	// (zero padding, which Node's zlib ignores).
	MaxTrailingBytes = 1 << 20
	// MaxNameLength is Linux's NAME_MAX: a longer path segment cannot be
	// created on any common file system.
	MaxNameLength = 255
	// MaxPackageJSON caps the top-level package.json, which is held in
	// memory for the caller (Go caps go.mod at 16 MiB for the same reason).
	MaxPackageJSON = 16 << 20
)

// DefaultZipLimits is what Zip applies by default: DefaultLimits with room
// for the largest wheels on PyPI, the CUDA builds of machine learning
// libraries (PyTorch, the nvidia-* runtime wheels), which are close to a
// gigabyte compressed and hold single shared libraries larger than
// DefaultLimits' MaxFileSize. The ratio limit still bounds what a small
// archive can expand to.
var DefaultZipLimits = Limits{
	MaxFiles:      DefaultLimits.MaxFiles,
	MaxFileSize:   4 << 30,
	MaxTotalSize:  8 << 30,
	MaxRatio:      DefaultLimits.MaxRatio,
	MaxPathLength: DefaultLimits.MaxPathLength,
	MaxDepth:      DefaultLimits.MaxDepth,
}

// orDefault fills the zero fields of l from DefaultLimits.
func (l Limits) orDefault() Limits { return l.orDefaultFrom(DefaultLimits) }

// orDefaultFrom fills the zero fields of l from d.
func (l Limits) orDefaultFrom(d Limits) Limits {
	if l.MaxFiles > 0 {
		d.MaxFiles = l.MaxFiles
	}
	if l.MaxFileSize > 0 {
		d.MaxFileSize = l.MaxFileSize
	}
	if l.MaxTotalSize > 0 {
		d.MaxTotalSize = l.MaxTotalSize
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.MaxPathLength > 0 {
		d.MaxPathLength = l.MaxPathLength
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	return d
}
