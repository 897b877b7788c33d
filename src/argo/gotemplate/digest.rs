//! Hashes and encodings sprig exposes: SHA-1, SHA-256, SHA-512 (the RustCrypto crates),
//! Adler-32 (RFC 1950) and base32 (RFC 4648, standard alphabet, padded), the last two
//! written from their specifications.

fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[(b >> 4) as usize] as char);
        s.push(H[(b & 15) as usize] as char);
    }
    s
}

pub fn sha1_hex(msg: &[u8]) -> String {
    use sha1::Digest;
    hex(&sha1::Sha1::digest(msg))
}

pub fn sha256_hex(msg: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(msg))
}

pub fn sha512_hex(msg: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha512::digest(msg))
}

pub fn adler32(msg: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in msg {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(B32[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base32 decoding; the error names the offending input byte like Go's
/// `illegal base32 data at input byte N`.
pub fn base32_decode(s: &str) -> Result<Vec<u8>, String> {
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    if !bytes.len().is_multiple_of(8) {
        return Err(format!(
            "illegal base32 data at input byte {}",
            bytes.len() / 8 * 8
        ));
    }
    let mut out = Vec::new();
    for (ci, chunk) in bytes.chunks(8).enumerate() {
        let mut n: u64 = 0;
        let mut count = 0;
        for (i, &b) in chunk.iter().enumerate() {
            if b == b'=' {
                if chunk[i..].iter().any(|c| *c != b'=') || ci != bytes.len() / 8 - 1 {
                    return Err(format!("illegal base32 data at input byte {}", ci * 8 + i));
                }
                break;
            }
            let Some(v) = B32.iter().position(|c| *c == b) else {
                return Err(format!("illegal base32 data at input byte {}", ci * 8 + i));
            };
            n |= (v as u64) << (35 - 5 * i);
            count += 1;
        }
        let nbytes = match count {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            0 => 0,
            _ => {
                return Err(format!(
                    "illegal base32 data at input byte {}",
                    ci * 8 + count
                ));
            }
        };
        let be = n.to_be_bytes();
        out.extend_from_slice(&be[3..3 + nbytes]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vectors from FIPS 180-2 appendix examples ("abc") and RFC 4648 §10.
    #[test]
    fn known_vectors() {
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha512_hex(b"abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        // Wikipedia's Adler-32 example.
        assert_eq!(adler32(b"Wikipedia"), 0x11E60398);
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI======");
        assert_eq!(base32_encode(b"fo"), "MZXQ====");
        assert_eq!(
            base32_decode("MZXW6YTBOI======").ok(),
            Some(b"foobar".to_vec())
        );
        assert!(base32_decode("MZXW6!==").is_err());
    }
}
