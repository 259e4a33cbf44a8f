//! The URL table: an open-addressing hash table whose keys live in one byte arena.
//!
//! A `HashMap<Box<[u8]>, _>` costs a heap allocation and a fat pointer per URL; at 100,000
//! files that overhead is a third of the router's memory. Here a key costs its bytes, a 16-byte
//! record and a 4-byte slot at a load factor between 3/8 and 3/4.

/// A fast, unkeyed hash. The keys are fixed at start-up and a lookup never inserts, so a client
/// cannot grow a probe sequence; speed is what matters.
fn hash(key: &[u8]) -> u32 {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    fn fold(a: u64, b: u64) -> u64 {
        let product = u128::from(a) * u128::from(b);
        (product as u64) ^ ((product >> 64) as u64)
    }
    let mut state: u64 = 0x243f_6a88_85a3_08d3 ^ key.len() as u64;
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        state = fold(state ^ u64::from_le_bytes(word), MULTIPLIER);
    }
    let tail = chunks.remainder();
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    state = fold(state ^ u64::from_le_bytes(last), MULTIPLIER);
    (state ^ (state >> 32)) as u32
}

#[derive(Clone, Copy, Debug)]
struct Record {
    start: u32,
    len: u32,
    hash: u32,
    value: u32,
}

/// Maps byte strings to `u32` values; inserting a key again replaces its value.
#[derive(Debug, Default)]
pub(crate) struct UrlTable {
    keys: Vec<u8>,
    records: Vec<Record>,
    /// Record index + 1, or 0 for an empty slot; the length is zero or a power of two.
    slots: Vec<u32>,
}

/// The table outgrew 32-bit offsets.
#[derive(Debug)]
pub(crate) struct Full;

impl UrlTable {
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    fn key(&self, record: &Record) -> &[u8] {
        &self.keys[record.start as usize..(record.start + record.len) as usize]
    }

    /// The slot holding `key`, or the empty slot where it would go.
    fn find(&self, key: &[u8], hash: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            match self.slots[slot] {
                0 => return slot,
                index => {
                    let record = &self.records[index as usize - 1];
                    if record.hash == hash && self.key(record) == key {
                        return slot;
                    }
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        match self.slots[self.find(key, hash(key))] {
            0 => None,
            index => Some(self.records[index as usize - 1].value),
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(8);
        self.slots = vec![0; size];
        let mask = size - 1;
        for (index, record) in self.records.iter().enumerate() {
            let mut slot = record.hash as usize & mask;
            while self.slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = index as u32 + 1;
        }
    }

    pub(crate) fn insert(&mut self, key: &[u8], value: u32) -> Result<(), Full> {
        // Keep the load factor at or below 3/4.
        if (self.records.len() + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let hash = hash(key);
        let slot = self.find(key, hash);
        if let Some(index) = self.slots[slot].checked_sub(1) {
            self.records[index as usize].value = value;
            return Ok(());
        }
        let start = u32::try_from(self.keys.len()).map_err(|_| Full)?;
        let len = u32::try_from(key.len()).map_err(|_| Full)?;
        start.checked_add(len).ok_or(Full)?;
        let index = u32::try_from(self.records.len() + 1).map_err(|_| Full)?;
        self.keys.extend_from_slice(key);
        self.records.push(Record {
            start,
            len,
            hash,
            value,
        });
        self.slots[slot] = index;
        Ok(())
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.records.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_replace() {
        let mut table = UrlTable::default();
        assert_eq!(table.get(b"/a"), None);
        let keys: Vec<String> = (0..5000).map(|i| format!("/static/{i}.js")).collect();
        for (i, key) in keys.iter().enumerate() {
            table.insert(key.as_bytes(), i as u32).unwrap();
        }
        table.insert(b"", 7).unwrap();
        table.insert(b"/static/3.js", 99).unwrap();
        table.shrink_to_fit();
        assert_eq!(table.len(), 5001);
        for (i, key) in keys.iter().enumerate() {
            let expected = if i == 3 { 99 } else { i as u32 };
            assert_eq!(table.get(key.as_bytes()), Some(expected), "{key}");
        }
        assert_eq!(table.get(b""), Some(7));
        for miss in [
            &b"/static/5000.js"[..],
            b"/static/",
            b"/STATIC/1.js",
            b"\xff",
            b"/static/1.js\0",
        ] {
            assert_eq!(table.get(miss), None);
        }
    }

    #[test]
    fn hash_spreads_similar_keys() {
        let mut low_bits = std::collections::HashSet::new();
        for i in 0..1024 {
            low_bits.insert(hash(format!("/assets/chunk-{i:04}.js").as_bytes()) & 1023);
        }
        // A random function fills about 63% of the buckets.
        assert!(low_bits.len() > 550, "{}", low_bits.len());
    }
}
