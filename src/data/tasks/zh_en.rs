//! The `zh-en` task: a tiny Chinese -> English phrase corpus built from templates
//! (time / subject / verb / measure word + object), tokenised by character and by word.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// The course's own example, always in the training split.
pub const COURSE_EXAMPLE: (&str, &str) = ("我有一支笔", "i have a pen");

/// (Chinese, English, third person singular?)
const SUBJECTS: [(&str, &str, bool); 6] = [
    ("我", "i", false),
    ("你", "you", false),
    ("他", "he", true),
    ("她", "she", true),
    ("我们", "we", false),
    ("他们", "they", false),
];

/// (Chinese, English base form, English third person singular)
const VERBS: [(&str, &str, &str); 5] = [
    ("有", "have", "has"),
    ("要", "want", "wants"),
    ("买", "buy", "buys"),
    ("喜欢", "like", "likes"),
    ("看见", "see", "sees"),
];

/// (Chinese number + measure word + noun, English)
const OBJECTS: [(&str, &str); 12] = [
    ("一支笔", "a pen"),
    ("一本书", "a book"),
    ("一只猫", "a cat"),
    ("一条狗", "a dog"),
    ("一个苹果", "an apple"),
    ("一杯茶", "a cup of tea"),
    ("一辆车", "a car"),
    ("一张桌子", "a table"),
    ("两本书", "two books"),
    ("三只猫", "three cats"),
    ("两支笔", "two pens"),
    ("一把椅子", "a chair"),
];

/// (Chinese, English) time words; the empty one means no time phrase.
const TIMES: [(&str, &str); 4] = [
    ("", ""),
    ("今天", "today"),
    ("明天", "tomorrow"),
    ("现在", "now"),
];

/// Every phrase pair the templates make (6 x 5 x 12 x 4 = 1440), the course example first.
pub fn zh_en_pairs() -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (time_zh, time_en) in TIMES {
        for (subject_zh, subject_en, singular) in SUBJECTS {
            for (verb_zh, verb_base, verb_singular) in VERBS {
                for (object_zh, object_en) in OBJECTS {
                    let verb_en = if singular { verb_singular } else { verb_base };
                    let zh = format!("{time_zh}{subject_zh}{verb_zh}{object_zh}");
                    let mut en = format!("{subject_en} {verb_en} {object_en}");
                    if !time_en.is_empty() {
                        en = format!("{en} {time_en}");
                    }
                    pairs.push((zh, en));
                }
            }
        }
    }
    pairs
}

/// Up to `count` shuffled pairs; the course example always comes first, so it lands in training.
pub(super) fn generate(rng: &mut StdRng, count: usize) -> Vec<(String, String)> {
    let mut pairs = zh_en_pairs();
    let example = pairs.remove(0);
    pairs.shuffle(rng);
    pairs.truncate(count.saturating_sub(1));
    pairs.insert(0, example);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_large_enough_and_holds_the_course_example() {
        let pairs = zh_en_pairs();
        assert!(pairs.len() >= 300);
        assert_eq!(
            pairs[0],
            (COURSE_EXAMPLE.0.to_string(), COURSE_EXAMPLE.1.to_string())
        );
        assert!(pairs.contains(&("今天她喜欢一只猫".into(), "she likes a cat today".into())));
    }
}
