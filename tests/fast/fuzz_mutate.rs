//! Damage done to valid files for fuzzing: bit flips, truncations, runs of
//! bytes inserted or deleted, pieces copied elsewhere, and numbers written
//! over header fields (sizes, counts, rates) with extreme values. A mutated
//! input is its seed and a list of [`Mutation`]s, so a failing one shrinks to
//! the few mutations that matter and prints readably.

use proptest::prelude::*;

/// Where a mutation lands: most of what a decoder trusts is in the first
/// bytes, so half the mutations go there.
#[derive(Debug, Clone, Copy)]
pub enum Pos {
    /// This many bytes from the start.
    Head(u16),
    /// This fraction of the file, in 1/65536ths.
    Anywhere(u16),
}

impl Pos {
    fn index(self, len: usize) -> usize {
        match self {
            Pos::Head(at) => usize::from(at).min(len),
            Pos::Anywhere(f) => len * usize::from(f) / 65_536,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Mutation {
    Flip {
        at: Pos,
        bit: u8,
    },
    Truncate {
        at: Pos,
    },
    Insert {
        at: Pos,
        bytes: Vec<u8>,
    },
    /// The same byte `len` times (a run of zeros, of 0xFF …).
    Run {
        at: Pos,
        byte: u8,
        len: u16,
    },
    Delete {
        at: Pos,
        len: u16,
    },
    /// `len` bytes from `from` copied over the bytes at `to`.
    Copy {
        from: Pos,
        to: Pos,
        len: u16,
    },
    /// `value` written in `width` bytes at `at`.
    Number {
        at: Pos,
        value: u64,
        width: u8,
        big_endian: bool,
    },
    /// `value` written over the `index`th header field of the seed (see
    /// [`fields`]), in the field's own width and byte order.
    Field {
        index: usize,
        value: u64,
    },
}

/// Values that break size, count and rate fields.
pub fn extreme() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(2),
        Just(0x7f),
        Just(0xff),
        Just(0x7fff),
        Just(0xffff),
        Just(0x7fff_ffff),
        Just(0x8000_0000),
        Just(0xffff_fffe),
        Just(0xffff_ffff),
        Just(u64::MAX),
        any::<u64>(),
        0u64..100_000,
    ]
}

fn pos() -> impl Strategy<Value = Pos> {
    prop_oneof![
        (0u16..512).prop_map(Pos::Head),
        any::<u16>().prop_map(Pos::Anywhere)
    ]
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (pos(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        1 => pos().prop_map(|at| Mutation::Truncate { at }),
        1 => (pos(), proptest::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (pos(), prop_oneof![Just(0u8), Just(0xff), any::<u8>()], 1u16..2048)
            .prop_map(|(at, byte, len)| Mutation::Run { at, byte, len }),
        1 => (pos(), 1u16..512).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (pos(), pos(), 1u16..1024).prop_map(|(from, to, len)| Mutation::Copy { from, to, len }),
        2 => (pos(), extreme(), prop_oneof![Just(1u8), Just(2), Just(4), Just(8)], any::<bool>())
            .prop_map(|(at, value, width, big_endian)| Mutation::Number { at, value, width, big_endian }),
        3 => (any::<usize>(), extreme()).prop_map(|(index, value)| Mutation::Field { index, value }),
    ]
}

/// One to `most` mutations, mostly one or two (a few mutations already
/// break most files at their first check).
pub fn mutations(most: usize) -> impl Strategy<Value = Vec<Mutation>> {
    prop_oneof![
        3 => proptest::collection::vec(mutation(), 1..=2),
        1 => proptest::collection::vec(mutation(), 1..=most),
    ]
}

/// Rewrites the checksum of every whole OGG page, so that damage inside a
/// page reaches the Vorbis or Opus decoder instead of the page being dropped
/// by the demuxer for its checksum.
pub fn fix_ogg_checksums(bytes: &mut [u8]) {
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], b"OggS") {
        let page = at + found;
        at = page + 4;
        let Some(&segments) = bytes.get(page + 26) else {
            break;
        };
        let table = page + 27;
        let Some(lacing) = bytes.get(table..table + usize::from(segments)) else {
            break;
        };
        let end =
            table + usize::from(segments) + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
        if end > bytes.len() {
            continue;
        }
        bytes[page + 22..page + 26].fill(0);
        let crc = ogg_crc(&bytes[page..end]);
        bytes[page + 22..page + 26].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
}

/// OGG's CRC-32: polynomial 0x04c11db7, not reflected, starting at 0.
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A header field: where it is, how many bytes, big-endian or not.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub at: usize,
    pub width: u8,
    pub big_endian: bool,
}

/// Applies `mutations` to `seed`; `fields` are the seed's header fields.
pub fn apply(seed: &[u8], fields: &[Field], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for m in mutations {
        let len = out.len();
        match m {
            Mutation::Flip { at, bit } => {
                if len > 0 {
                    out[at.index(len - 1)] ^= 1 << (bit % 8);
                }
            }
            Mutation::Truncate { at } => out.truncate(at.index(len)),
            Mutation::Insert { at, bytes } => {
                let i = at.index(len);
                out.splice(i..i, bytes.iter().copied());
            }
            Mutation::Run { at, byte, len: n } => {
                let i = at.index(len);
                out.splice(i..i, std::iter::repeat_n(*byte, usize::from(*n)));
            }
            Mutation::Delete { at, len: n } => {
                let i = at.index(len);
                out.drain(i..(i + usize::from(*n)).min(len));
            }
            Mutation::Copy { from, to, len: n } => {
                let from = from.index(len);
                let piece = out[from..(from + usize::from(*n)).min(len)].to_vec();
                let to = to.index(len);
                let end = (to + piece.len()).min(len);
                out[to..end].copy_from_slice(&piece[..end - to]);
            }
            Mutation::Number {
                at,
                value,
                width,
                big_endian,
            } => write_number(&mut out, at.index(len), *value, *width, *big_endian),
            Mutation::Field { index, value } => {
                if let Some(f) = (!fields.is_empty()).then(|| fields[index % fields.len()]) {
                    write_number(&mut out, f.at, *value, f.width, f.big_endian);
                }
            }
        }
    }
    out
}

/// Writes the low `width` bytes of `value` at `at`, as far as the data goes.
fn write_number(out: &mut [u8], at: usize, value: u64, width: u8, big_endian: bool) {
    let width = usize::from(width.clamp(1, 8));
    let bytes = value.to_le_bytes();
    for k in 0..width {
        let byte = if big_endian {
            bytes[width - 1 - k]
        } else {
            bytes[k]
        };
        if let Some(slot) = out.get_mut(at + k) {
            *slot = byte;
        }
    }
}

/// The header fields of a seed worth overwriting: chunk and box sizes,
/// counts, sample rates, channel counts, bit depths.
pub fn fields(bytes: &[u8]) -> Vec<Field> {
    let le = |at, width| Field {
        at,
        width,
        big_endian: false,
    };
    let be = |at, width| Field {
        at,
        width,
        big_endian: true,
    };
    let mut out = Vec::new();
    if bytes.starts_with(b"RIFF") {
        out.push(le(4, 4));
        riff_chunks(bytes, 12, &mut out);
    } else if bytes.starts_with(b"fLaC") {
        // Block header, STREAMINFO: block sizes, frame sizes, rate/channels/bits, total samples.
        out.extend([be(5, 3), be(8, 2), be(10, 2), be(12, 3), be(15, 3)]);
        out.extend([be(18, 4), be(20, 2), be(21, 1), be(22, 4), be(26, 4)]);
    } else if bytes.starts_with(b"OggS") {
        // Every page header: granule position, sequence, segment count.
        let mut at = 0;
        while let Some(found) = find(&bytes[at..], b"OggS") {
            let page = at + found;
            out.extend([le(page + 6, 8), le(page + 18, 4), le(page + 26, 1)]);
            // The identification header's channels and rate follow the first page's segments.
            at = page + 4;
        }
        out.extend([le(39, 1), le(40, 4), le(37, 1), le(44, 4)]);
    } else if bytes.get(4..8) == Some(b"ftyp") {
        mp4_boxes(bytes, 0, bytes.len(), &mut out);
    } else if bytes.starts_with(b"FORM") {
        out.extend([
            be(4, 4),
            be(16, 4),
            be(20, 2),
            be(22, 4),
            be(26, 2),
            be(28, 4),
        ]);
    } else if bytes.starts_with(b"caff") {
        out.extend([
            be(12, 8),
            be(20, 8),
            be(32, 4),
            be(36, 4),
            be(40, 4),
            be(44, 4),
        ]);
    } else if bytes.starts_with(b"ID3") {
        out.push(be(6, 4));
    }
    // Whatever the format: the first words.
    out.extend((0..16).map(|k| le(4 * k, 4)));
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// RIFF chunk sizes, and the `fmt ` fields.
fn riff_chunks(bytes: &[u8], mut at: usize, out: &mut Vec<Field>) {
    let le = |at, width| Field {
        at,
        width,
        big_endian: false,
    };
    while at + 8 <= bytes.len() {
        out.push(le(at + 4, 4));
        if &bytes[at..at + 4] == b"fmt " {
            let f = at + 8;
            // Format tag, channels, rate, bytes/s, block align, bits, cbSize,
            // valid bits, channel mask, sub-format tag.
            out.extend([
                le(f, 2),
                le(f + 2, 2),
                le(f + 4, 4),
                le(f + 8, 4),
                le(f + 12, 2),
            ]);
            out.extend([
                le(f + 14, 2),
                le(f + 16, 2),
                le(f + 18, 2),
                le(f + 20, 4),
                le(f + 24, 2),
            ]);
        }
        if &bytes[at..at + 4] == b"fact" {
            out.push(le(at + 8, 4));
        }
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        at += 8 + size as usize + (size as usize & 1);
    }
}

/// MP4 box sizes, and the entry counts of the sample tables.
fn mp4_boxes(bytes: &[u8], mut at: usize, end: usize, out: &mut Vec<Field>) {
    let be = |at, width| Field {
        at,
        width,
        big_endian: true,
    };
    while at + 8 <= end {
        let size =
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let kind = &bytes[at + 4..at + 8];
        out.push(be(at, 4));
        if size < 8 || at + size > end {
            break;
        }
        match kind {
            b"moov" | b"trak" | b"mdia" | b"minf" | b"stbl" | b"udta" | b"edts" => {
                mp4_boxes(bytes, at + 8, at + size, out)
            }
            // Version/flags, then a count (stsz: sample size, then count).
            b"stts" | b"stsc" | b"stco" | b"co64" => out.push(be(at + 12, 4)),
            // Entry count, then the first entry: its size, channels, sample
            // size and rate (16.16).
            b"stsd" => {
                out.extend([be(at + 12, 4), be(at + 16, 4), be(at + 40, 2)]);
                out.extend([be(at + 42, 2), be(at + 48, 4)]);
            }
            b"stsz" => out.extend([be(at + 12, 4), be(at + 16, 4), be(at + 20, 4)]),
            // Time scale and duration.
            b"mdhd" | b"mvhd" => out.extend([be(at + 20, 4), be(at + 24, 4)]),
            _ => {}
        }
        at += size;
    }
}
