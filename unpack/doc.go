// Package unpack extracts package archives on the assumption that they are
// hostile: every byte is checked before anything reaches the disk, and the
// kernel confines every write to the target directory.
//
// [NpmTarball] lays out an npm package tarball exactly as pacote (the
// extractor inside npm) does, and refuses what npm would accept but a careful
// reader should not. An archive is refused, with a [*FileError] wrapping one of
// the predefined errors below, when:
//
//   - a path is absolute, contains a ".." segment, a backslash, a drive letter
//     ("C:"), a NUL or other control character, or is not valid UTF-8
//     ([ErrUnsafePath]);
//   - a path goes through an entry that was a symbolic or hard link earlier in
//     the archive ([ErrUnsafePath]); links themselves are skipped, never
//     created, whatever they point to;
//   - an entry is a character or block device, a FIFO, a GNU sparse file or of
//     any type other than file, directory, link or the metadata headers below
//     ([ErrSpecialFile]);
//   - a file has the setuid, setgid or sticky bit ([ErrSetuid]);
//   - the same path appears twice, or as both a file and a directory
//     ([ErrDuplicate]), with two exceptions: pacote's, a ".npmignore" may
//     replace a ".gitignore" that was renamed to ".npmignore"; and a file
//     repeated with exactly the same bytes (as "dist/a" and "./dist/a" in
//     some real packages), which leaves the first one as it is, as npm does;
//     paths differing only in case or Unicode normalization are distinct
//     files, as for node-tar, but every file is created exclusively, so on a
//     file system that folds them together the second is refused rather
//     than written over the first;
//   - there are more than [Limits.MaxFiles] entries plus implied directories
//     ([ErrTooManyFiles]), a file is larger than [Limits.MaxFileSize]
//     ([ErrFileTooLarge]), the files add up to more than [Limits.MaxTotalSize]
//     or the decompressed stream to more than that plus [EntryOverhead] per
//     entry ([ErrTooLarge]);
//   - more than [RatioGrace] bytes have been decompressed and the stream has
//     grown more than [Limits.MaxRatio] times its compressed size ([ErrRatio]);
//   - a path is longer than [Limits.MaxPathLength] bytes or has a segment longer
//     than [MaxNameLength] ([ErrPathTooLong]), or has more than
//     [Limits.MaxDepth] segments after the first is stripped ([ErrTooDeep]);
//   - the top-level package.json is larger than [MaxPackageJSON]
//     ([ErrFileTooLarge]);
//   - the gzip or tar stream is truncated or invalid, or is followed by more
//     than [MaxTrailingBytes] or by anything but zero bytes ([ErrCorrupt]);
//   - a header is one that node-tar (npm's tar reader) and other readers read
//     differently, so that one could see files the other does not
//     ([ErrCorrupt]): a checksum valid only when bytes are summed as signed, a
//     number written in a way one of them cannot parse, a link name on an
//     entry that is not a link, an extended header without a name, PAX "mode"
//     or "type" records, a global PAX header that sets a path, link or size,
//     two extended headers or two long names for one entry, a link entry or a
//     file named like a directory that carries data, a single zero block in
//     the middle of the archive, or extended header data larger than
//     [MaxMetaSize].
//
// Like pacote, it strips the first path segment of every entry whatever its
// name, writes regular files only, creates directories only as parents of
// files (so empty directories are not created), skips symbolic and hard
// links, ignores ownership and timestamps, and gives files the mode npm gives
// them; see [NpmOptions].
//
// [Zip] extracts a zip archive (a Python wheel) as pip does, with the same
// refusals as above for paths (no stripping of a first segment here; a path
// is nested too deeply past [Limits.MaxDepth] segments in all), file types
// (symbolic links, devices, FIFOs and sockets, told by the Unix mode in the
// external attributes: [ErrSpecialFile]), setuid, setgid and sticky files
// ([ErrSetuid]) and limits ([ErrTooManyFiles], [ErrFileTooLarge],
// [ErrTooLarge], and [ErrRatio] for the declared sizes against the size of
// the archive; by default [DefaultZipLimits], sized for wheels). It refuses
// besides:
//
//   - a name that is empty, has an empty or "." segment, contains a NUL, or
//     is not ASCII without the UTF-8 flag, which Python's zipfile would
//     decode as CP437 ([ErrUnsafePath]);
//   - any name repeated, even with the same bytes, and a name that is both
//     a file and a directory ([ErrDuplicate]); names differing only in case
//     or Unicode normalization are distinct files, as for pip, and one never
//     overwrites the other: on a file system that folds them together the
//     second is refused ([ErrDuplicate]);
//   - an archive not laid out as every wheel writer lays it out: entries
//     back to back from the first byte, then the central directory, the
//     zip64 end records if any and the end record with its comment running
//     to the end of the file; so no bytes before, between (entries only a
//     streaming reader would see) or after, and no entries that overlap or
//     share data (David Fifield's non-recursive zip bomb) ([ErrCorrupt]);
//   - a local header whose name, flags, method, CRC or sizes differ from the
//     central directory's, a data descriptor that differs or lacks its
//     signature, a zip64 record that disagrees with the end record, a
//     saturated field without its zip64 value, a malformed or repeated extra
//     field, an Info-ZIP Unicode path field (which only some readers apply),
//     a spanned (multi-disk) archive, an entry needing a zip version later
//     than 6.3 (which Python's zipfile refuses), or a directory entry with
//     data ([ErrCorrupt]);
//   - an encrypted entry, a compression method other than store and
//     deflate, or an unknown general purpose flag ([ErrCorrupt]);
//   - an entry whose data decompresses to more or fewer bytes than declared
//     (reading stops one byte past the declared size), whose deflate stream
//     ends before its compressed size, or whose CRC-32 does not match
//     ([ErrCorrupt]).
//
// Every structure is checked and every limit applied to the declared sizes
// before the first file is written. Directory entries create directories,
// empty ones too; a directory's own mode bits are ignored. File modes follow
// pip: see [ZipOptions].
//
// A refusal can leave some files in the target directory: callers extract
// into a fresh directory and remove it when an error is returned, as they do
// when the archive's digest does not match.
package unpack
