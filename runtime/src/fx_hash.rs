//! `FxHasher`: a fast hash for maps keyed by what the app itself holds.

use std::hash::Hasher;

/// FxHash's mix (as rustc uses it). Fixed rather than seeded: for maps
/// whose keys are the app's own (the route table's paths, the metrics'
/// series by address, index and status), so a client cannot lengthen a
/// probe, only miss.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        // Byte by byte: a copy of a slice this short would be a call to
        // `memcpy`.
        let rest = chunks.remainder();
        let word = rest
            .iter()
            .rev()
            .fold(0, |word, &byte| (word << 8) | u64::from(byte));
        self.mix(word ^ ((rest.len() as u64) << 59));
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.mix(u64::from(byte));
    }

    #[inline]
    fn write_u16(&mut self, word: u16) {
        self.mix(u64::from(word));
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.mix(word);
    }

    #[inline]
    fn write_usize(&mut self, word: usize) {
        self.mix(word as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}
