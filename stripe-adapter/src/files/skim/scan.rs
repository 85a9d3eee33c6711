//! JSON lexing over bytes, with serde_json's grammar and checks.
//!
//! The skim must accept exactly what serde_json accepts when it skims (the
//! serde skim this replaced), so the scanner follows serde_json's
//! `SliceRead` as used through `from_slice`:
//!
//! - whitespace is `' '`, `\n`, `\t` and `\r` only;
//! - a string may not hold a raw control character (below 0x20), and its
//!   escapes are `\" \\ \/ \b \f \n \r \t` and `\u` with four hex digits;
//! - a string serde_json *parses* (a key of an object it visits, a field it
//!   reads) must be valid UTF-8 and its `\u` escapes must pair surrogates
//!   (a high one followed at once by `\u` and a low one); a string it
//!   *ignores* (`IgnoredAny`) is checked for neither;
//! - numbers follow the JSON grammar (no leading zeros, no bare `-`, `1.`
//!   or `.5`), literals are `true`, `false` and `null`;
//! - ignored values nest without limit (serde_json skips them in a loop);
//! - a number serde_json converts (one it visits, not one it ignores) must
//!   also be in range: `1e999` fails.
//!
//! Any failure is [`Invalid`]: the skim only needs to know that the full
//! read would fail, not why.
//!
//! Speed: the hot paths are free functions over `(bytes, index)` that the
//! compiler keeps in registers. Strings (most of an export's bytes) are
//! scanned eight bytes at a time for the bytes that end or interrupt them
//! ([`find_stop`]); whitespace is mostly one space, tried before a loop
//! ([`token`]); digits go eight at a time too; ignored arrays and objects
//! are skipped in one loop with an explicit stack ([`skip_nested`]).
//! (`memchr` was tried for strings: slower on these short ones.)

use std::borrow::Cow;

/// Input the full read (serde_json) would reject.
#[derive(Debug)]
pub(super) struct Invalid;

/// A scan's outcome: `Err(Invalid)` where serde_json fails.
pub(super) type Scan<T> = Result<T, Invalid>;

/// A cursor over JSON bytes.
pub(super) struct Scanner<'a> {
    /// The input.
    bytes: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// The open arrays (`[`) and objects (`{`) of the value being skipped;
    /// kept to reuse its allocation.
    frames: Vec<u8>,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Scanner {
            bytes,
            pos: 0,
            frames: Vec::new(),
        }
    }

    /// Starts over on `bytes`, keeping allocations.
    pub(super) fn restart(&mut self, bytes: &'a [u8]) {
        self.bytes = bytes;
        self.pos = 0;
    }

    /// Skips whitespace; the byte after it, if any (not consumed).
    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        let (at, b) = token(self.bytes, self.pos);
        self.pos = at;
        b
    }

    /// Consumes the byte [`peek`](Self::peek) returned.
    #[inline]
    pub(super) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Skips whitespace and consumes `byte`, which must come next.
    #[inline]
    pub(super) fn expect(&mut self, byte: u8) -> Scan<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Consumes the colon after a key, whitespace around it.
    #[inline]
    pub(super) fn colon(&mut self) -> Scan<()> {
        if self.bytes.get(self.pos) == Some(&b':') {
            self.pos += 1;
            Ok(())
        } else {
            self.expect(b':')
        }
    }

    /// [`peek`](Self::peek), quicker where `likely` comes at once.
    #[inline]
    pub(super) fn next_or_peek(&mut self, likely: u8) -> Option<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) if b == likely => Some(b),
            _ => self.peek(),
        }
    }

    /// Consumes the literal `word` (`true`, `false` or `null`), which must
    /// come next.
    #[inline]
    pub(super) fn literal(&mut self, word: &[u8]) -> Scan<()> {
        self.pos = literal_end(self.bytes, self.pos, word)?;
        Ok(())
    }

    /// Consumes a number serde_json converts (into an integer or a float, as
    /// `deserialize_any` does): its grammar, and then its range, which
    /// fails for `1e999` (an ignored number is not converted: no range).
    /// Rare (numbers the skim visits are items it declines), so serde_json
    /// itself decides the range.
    pub(super) fn converted_number(&mut self) -> Scan<()> {
        let start = self.pos;
        self.pos = number_end(self.bytes, start)?;
        match serde_json::from_slice::<serde_json::Value>(&self.bytes[start..self.pos]) {
            Ok(_) => Ok(()),
            Err(_) => Err(Invalid),
        }
    }

    /// Skips one value serde_json ignores (`IgnoredAny`).
    #[inline]
    pub(super) fn skip_value(&mut self) -> Scan<()> {
        self.pos = skip_value(self.bytes, self.pos, &mut self.frames)?;
        Ok(())
    }

    /// Skips one value as [`Scanner::skip_value`] does and gives its text
    /// (without the whitespace around it), as serde_json's `RawValue` would
    /// take it.
    pub(super) fn raw_value(&mut self) -> Scan<&'a [u8]> {
        let start = self.peek().map(|_| self.pos).ok_or(Invalid)?;
        self.skip_value()?;
        Ok(&self.bytes[start..self.pos])
    }

    /// Reads the rest of an object key serde_json parses (its opening quote
    /// consumed), as [`Scanner::string`] does, as bytes: keys are matched,
    /// not kept, so an ASCII key without escapes needs no more than its
    /// scan.
    #[inline]
    pub(super) fn key(&mut self) -> Scan<Cow<'a, [u8]>> {
        let start = self.pos;
        let end = find_stop::<true>(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&self.bytes[start..end]));
        }
        Ok(match self.string()? {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        })
    }

    /// Reads the rest of a string serde_json parses (its opening quote
    /// consumed): valid UTF-8, escapes decoded with surrogates paired.
    /// Borrowed from the input unless it holds escapes.
    pub(super) fn string(&mut self) -> Scan<Cow<'a, str>> {
        let start = self.pos;
        self.pos = find_stop::<false>(self.bytes, start);
        match self.byte() {
            Some(b'"') => {
                let text = &self.bytes[start..self.pos];
                self.pos += 1;
                std::str::from_utf8(text)
                    .map(Cow::Borrowed)
                    .map_err(|_| Invalid)
            }
            Some(b'\\') => self.escaped_string(start).map(Cow::Owned),
            _ => Err(Invalid),
        }
    }

    /// The byte at the cursor, whitespace included.
    #[inline]
    fn byte(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// [`Scanner::string`] from its first escape on (the string began at
    /// `start`; the cursor is on the backslash).
    #[cold]
    fn escaped_string(&mut self, mut start: usize) -> Scan<String> {
        let mut text = Vec::new();
        loop {
            match self.byte() {
                Some(b'"') => {
                    text.extend_from_slice(&self.bytes[start..self.pos]);
                    self.pos += 1;
                    return String::from_utf8(text).map_err(|_| Invalid);
                }
                Some(b'\\') => {
                    text.extend_from_slice(&self.bytes[start..self.pos]);
                    self.pos += 1;
                    let c = self.escape()?;
                    text.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    start = self.pos;
                    self.pos = find_stop::<false>(self.bytes, start);
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Decodes an escape after its backslash, as serde_json's
    /// `parse_escape` for a string: a `\u` high surrogate must be followed
    /// at once by a `\u` low one; a lone low one fails.
    fn escape(&mut self) -> Scan<char> {
        let b = self.byte().ok_or(Invalid)?;
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = u32::from(self.hex4()?);
                let code = match high {
                    0xDC00..=0xDFFF => return Err(Invalid),
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(Invalid);
                        }
                        self.pos += 2;
                        let low = u32::from(self.hex4()?);
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(Invalid);
                        }
                        0x1_0000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    code => code,
                };
                char::from_u32(code).ok_or(Invalid)?
            }
            _ => return Err(Invalid),
        })
    }

    /// Reads the four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Scan<u16> {
        let n = hex4(self.bytes, self.pos)?;
        self.pos += 4;
        Ok(n)
    }
}

/// 0x01 in every byte of a word.
const ONES: u64 = u64::MAX / 255;
/// The high bit of every byte of a word.
const HIGHS: u64 = ONES << 7;

/// The index of the first byte from `i` on in `bytes` that is not
/// whitespace (or `bytes.len()`), in a loop.
#[inline(never)]
fn skip_more_ws(bytes: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = bytes.get(i) {
        i += 1;
    }
    i
}

/// The end of the literal `word` (`true`, `false`, `null`) at `i`.
#[inline(always)]
fn literal_end(bytes: &[u8], i: usize, word: &[u8]) -> Scan<usize> {
    if bytes.get(i..i + word.len()) == Some(word) {
        Ok(i + word.len())
    } else {
        Err(Invalid)
    }
}

/// The end of the number at `i` (its first byte `-` or a digit), by the
/// JSON grammar as serde_json checks it: one leading zero at most, digits
/// after a `.` and after an exponent.
#[inline(always)]
fn number_end(bytes: &[u8], mut i: usize) -> Scan<usize> {
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => {
            i += 1;
            if bytes.get(i).is_some_and(u8::is_ascii_digit) {
                return Err(Invalid);
            }
        }
        Some(b'1'..=b'9') => i = digits(bytes, i + 1),
        _ => return Err(Invalid),
    }
    if bytes.get(i) == Some(&b'.') {
        i = some_digits(bytes, i + 1)?;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = some_digits(bytes, i)?;
    }
    Ok(i)
}

/// Digits from `i` on in `bytes`: the index after the last. Eight bytes at
/// a time where eight are left.
#[inline]
fn digits(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // A digit is 0x30..=0x39: high nibble 3, and still 3 once 6 is
        // added. A carry only leaves a byte of 0xFA or more (not a digit),
        // so it only spoils bytes above the first non-digit.
        let off = ((w & (ONES * 0xF0)) ^ (ONES * 0x30))
            | ((w.wrapping_add(ONES * 0x06) & (ONES * 0xF0)) ^ (ONES * 0x30));
        // The high bit of each byte of `off` that is not zero.
        let nonzero = ((off & !HIGHS).wrapping_add(!HIGHS) | off) & HIGHS;
        if nonzero != 0 {
            return i + nonzero.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// One digit or more from `i` on in `bytes`: the index after the last.
#[inline]
fn some_digits(bytes: &[u8], i: usize) -> Scan<usize> {
    if bytes.get(i).is_some_and(u8::is_ascii_digit) {
        Ok(digits(bytes, i + 1))
    } else {
        Err(Invalid)
    }
}

/// The four hex digits of a `\u` escape at `i`.
fn hex4(bytes: &[u8], i: usize) -> Scan<u16> {
    let digits = bytes.get(i..i + 4).ok_or(Invalid)?;
    digits.iter().try_fold(0u16, |n, &d| {
        let v = char::from(d).to_digit(16).ok_or(Invalid)?;
        Ok((n << 4) | v as u16)
    })
}

/// The end of a string serde_json ignores, its opening quote before `i`:
/// escapes checked, UTF-8 and surrogates not.
#[inline(always)]
fn skip_string(bytes: &[u8], i: usize) -> Scan<usize> {
    let stop = find_stop::<false>(bytes, i);
    if bytes.get(stop) == Some(&b'"') {
        Ok(stop + 1)
    } else {
        skip_string_rest(bytes, stop)
    }
}

/// [`skip_string`] from a stop other than the closing quote, at `i`.
#[cold]
fn skip_string_rest(bytes: &[u8], mut i: usize) -> Scan<usize> {
    loop {
        match bytes.get(i) {
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => i = find_stop::<false>(bytes, skip_escape(bytes, i + 1)?),
            _ => return Err(Invalid),
        }
    }
}

/// The end of an escape whose backslash is before `i`, as serde_json's
/// `ignore_escape` checks it: a `\u` needs four hex digits, whatever
/// they encode.
fn skip_escape(bytes: &[u8], i: usize) -> Scan<usize> {
    match bytes.get(i) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 1),
        Some(b'u') => hex4(bytes, i + 1).map(|_| i + 5),
        _ => Err(Invalid),
    }
}

/// The first byte from `i` on that is not whitespace, and its index.
#[inline(always)]
fn token(bytes: &[u8], mut i: usize) -> (usize, Option<u8>) {
    let mut b = bytes.get(i).copied();
    // Mostly none or one space (`": "`, `", "`): no loop for those.
    if b == Some(b' ') {
        i += 1;
        b = bytes.get(i).copied();
    }
    match b {
        Some(c) if c > b' ' => (i, b),
        _ => {
            let i = skip_more_ws(bytes, i);
            (i, bytes.get(i).copied())
        }
    }
}

/// The end of an ignored object's key and the colon after it, from `i`
/// (whitespace before the key).
#[inline(always)]
fn skip_key(bytes: &[u8], i: usize) -> Scan<usize> {
    let (i, b) = token(bytes, i);
    if b != Some(b'"') {
        return Err(Invalid);
    }
    let i = skip_string(bytes, i + 1)?;
    // Usually no whitespace before the colon.
    if bytes.get(i) == Some(&b':') {
        return Ok(i + 1);
    }
    match token(bytes, i) {
        (i, Some(b':')) => Ok(i + 1),
        _ => Err(Invalid),
    }
}

/// The end of a value serde_json ignores (`IgnoredAny`), from `i`
/// (whitespace before it). `frames` is scratch space for nesting.
#[inline(always)]
fn skip_value(bytes: &[u8], i: usize, frames: &mut Vec<u8>) -> Scan<usize> {
    let (i, b) = token(bytes, i);
    match b {
        Some(b'"') => skip_string(bytes, i + 1),
        Some(b'-' | b'0'..=b'9') => number_end(bytes, i),
        Some(b'n') => literal_end(bytes, i, b"null"),
        Some(b't') => literal_end(bytes, i, b"true"),
        Some(b'f') => literal_end(bytes, i, b"false"),
        Some(b'[' | b'{') => skip_nested(bytes, i, frames),
        _ => Err(Invalid),
    }
}

/// [`skip_value`] of the array or object at `i`: any depth, in a loop (as
/// serde_json's `ignore_value`), the open containers kept in `frames`.
#[inline(never)]
fn skip_nested(bytes: &[u8], mut i: usize, frames: &mut Vec<u8>) -> Scan<usize> {
    frames.clear();
    loop {
        // A value: a scalar, an empty container, or a container's start.
        let (at, b) = token(bytes, i);
        i = match b {
            Some(b'"') => skip_string(bytes, at + 1)?,
            Some(b'-' | b'0'..=b'9') => number_end(bytes, at)?,
            Some(b'n') => literal_end(bytes, at, b"null")?,
            Some(b't') => literal_end(bytes, at, b"true")?,
            Some(b'f') => literal_end(bytes, at, b"false")?,
            Some(open @ (b'[' | b'{')) => match token(bytes, at + 1) {
                // `]` and `}` follow `[` and `{` but one.
                (at, Some(close)) if close == open + 2 => at + 1,
                (at, _) => {
                    frames.push(open);
                    i = if open == b'{' {
                        skip_key(bytes, at)?
                    } else {
                        at
                    };
                    continue;
                }
            },
            _ => return Err(Invalid),
        };
        // After a value: close containers until one goes on (or none is
        // left open: done).
        loop {
            let Some(&frame) = frames.last() else {
                return Ok(i);
            };
            match token(bytes, i) {
                (at, Some(b',')) => {
                    i = if frame == b'{' {
                        skip_key(bytes, at + 1)?
                    } else {
                        at + 1
                    };
                    break;
                }
                (at, Some(close)) if close == frame + 2 => {
                    i = at + 1;
                    frames.pop();
                }
                _ => return Err(Invalid),
            }
        }
    }
}

/// Where a string scan from `i` in `bytes` stops: the index of the first
/// `"`, `\` or control character (below 0x20), or of the first byte
/// beyond ASCII too when `ASCII`; `bytes.len()` if none. Eight bytes at a
/// time, as serde_json does it.
#[inline(always)]
fn find_stop<const ASCII: bool>(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // A byte's high bit is set where it is below 0x20, or zero once
        // xored with `"` or `\`; borrows only spill above a hit, so the
        // lowest flagged byte is the first stop.
        let control = w.wrapping_sub(ONES * 0x20) & !w;
        let q = w ^ (ONES * u64::from(b'"'));
        let quote = q.wrapping_sub(ONES) & !q;
        let e = w ^ (ONES * u64::from(b'\\'));
        let escape = e.wrapping_sub(ONES) & !e;
        let beyond = if ASCII { w } else { 0 };
        let hits = (control | quote | escape | beyond) & HIGHS;
        if hits != 0 {
            return i + hits.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 || (ASCII && b >= 0x80) {
            break;
        }
        i += 1;
    }
    i
}
