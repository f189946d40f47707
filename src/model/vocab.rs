//! Whisper's BPE vocabulary as whisper.cpp stores it: the ordinary tokens (up
//! to the first special token `<|endoftext|>`) as raw bytes.
//!
//! CTranslate2 and Hugging Face write tokens in GPT-2's byte-to-unicode form
//! (every byte mapped to a printable character); this undoes that mapping.

use std::collections::HashMap;

/// GPT-2's `bytes_to_unicode` inverted: printable character → byte.
fn unicode_to_byte() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from('!')..=u32::from('~'))
        .chain(u32::from('¡')..=u32::from('¬'))
        .chain(u32::from('®')..=u32::from('ÿ'))
        .collect();
    let mut chars = printable.clone();
    let mut extra = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + extra);
            extra += 1;
        }
    }
    printable
        .into_iter()
        .zip(chars)
        .filter_map(|(b, c)| Some((char::from_u32(c)?, b as u8)))
        .collect()
}

/// Decodes the ordinary tokens of `tokens` (in vocabulary order) to bytes,
/// stopping before the first `<|…|>` special token. `Err` carries the index of
/// a token holding a character outside the byte map.
pub fn ordinary_token_bytes(tokens: &[String]) -> Result<Vec<Vec<u8>>, usize> {
    let map = unicode_to_byte();
    tokens
        .iter()
        .take_while(|t| !(t.starts_with("<|") && t.ends_with("|>")))
        .enumerate()
        .map(|(i, t)| t.chars().map(|c| map.get(&c).copied().ok_or(i)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_byte_level_tokens() {
        let tokens: Vec<String> = ["!", "Ġthe", "ãģĤ", "", "<|endoftext|>", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let bytes = ordinary_token_bytes(&tokens).unwrap();
        assert_eq!(bytes.len(), 4, "stops at the first special token");
        assert_eq!(bytes[0], b"!");
        assert_eq!(bytes[1], b" the");
        assert_eq!(String::from_utf8(bytes[2].clone()).unwrap(), "あ");
        assert!(bytes[3].is_empty());
    }

    #[test]
    fn rejects_characters_outside_the_map() {
        let tokens = vec!["ok".to_string(), "日本".to_string()];
        assert_eq!(ordinary_token_bytes(&tokens), Err(1));
    }
}
