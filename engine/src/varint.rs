//! Base-128 varints, as the Pulsar protocol (protobuf) and Avro encode
//! integers: the relay reads and writes them in frames, the schema checks read
//! them in payloads.

/// The varint at `pos`: its value and the position after it; none when the
/// bytes end inside it or it runs over ten bytes.
pub fn read(buf: &[u8], mut pos: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(pos)?;
        pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, pos));
        }
    }
    None
}

pub fn write(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
