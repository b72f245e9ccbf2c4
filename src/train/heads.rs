//! A Transformer's insides for the plots: every head of every layer for the example on show,
//! and the positional encodings.

use super::Trainer;
use super::tensors::{DeviceError, read_floats};
use crate::data::snapshot::{HeadsView, LayerHeads, PositionsView};
use crate::data::vocab::{BOS, SpecialToken};
use crate::model::PositionKind;
use burn::prelude::*;

/// Most positions the encoding plot shows.
const MAX_POSITIONS_SHOWN: usize = 64;

impl Trainer {
    /// Every attention head for `text` and its decoded `output_tokens` (read back teacher-forced,
    /// so the decoder's queries are `<bos>` + the output); `None` for an RNN or an empty input.
    pub async fn heads_view(
        &self,
        text: &str,
        output_tokens: &[String],
    ) -> Result<Option<HeadsView>, DeviceError> {
        let model = self.model().valid();
        let Some(transformer) = model.transformer() else {
            return Ok(None);
        };
        let vocab = &self.data().vocabularies;
        let (source_tokens, source) = vocab.encode_source(text);
        if source.is_empty() {
            return Ok(None);
        }
        let target: Vec<usize> = std::iter::once(BOS)
            .chain(output_tokens.iter().map(|t| vocab.target.id(t)))
            .collect();
        let device = self.inference_device();
        let ids = |ids: &[usize]| {
            let ids: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
            Tensor::<1, Int>::from_data(ids.as_slice(), &device).reshape([1, ids.len()])
        };
        let mask = Tensor::<2>::ones([1, source.len()], &device);
        let attention = transformer
            .forward_all(ids(&source), mask, ids(&target))
            .attention;
        let layers = attention.encoder.len();
        let tensors: Vec<Tensor<4>> = attention
            .encoder
            .into_iter()
            .chain(attention.decoder)
            .chain(attention.cross)
            .collect();
        let shapes: Vec<[usize; 4]> = tensors.iter().map(|t| t.dims()).collect();
        let mut read = read_floats(tensors).await?.into_iter().zip(shapes);
        let mut next_kind = || -> LayerHeads {
            (0..layers)
                .map(|_| {
                    let (flat, [_, heads, queries, keys]) =
                        read.next().expect("three kinds of weights per layer");
                    (0..heads)
                        .map(|h| {
                            (0..queries)
                                .map(|q| {
                                    let start = (h * queries + q) * keys;
                                    flat[start..start + keys].to_vec()
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect()
        };
        let (encoder_self, decoder_self, cross) = (next_kind(), next_kind(), next_kind());
        Ok(Some(HeadsView {
            source_tokens,
            target_tokens: std::iter::once(SpecialToken::Bos.text().to_string())
                .chain(output_tokens.iter().cloned())
                .collect(),
            encoder_self,
            decoder_self,
            cross,
        }))
    }

    /// The positional encodings of the positions the data reaches (`<bos>`/`<eos>` included,
    /// at most 64); `None` for an RNN.
    pub async fn positions_view(&self) -> Result<Option<PositionsView>, DeviceError> {
        let Some(transformer) = self.model().transformer() else {
            return Ok(None);
        };
        let data = self.data();
        let longest = data
            .train
            .iter()
            .chain(&data.valid)
            .map(|p| p.source.len().max(p.target.len()))
            .max()
            .unwrap_or(1);
        let shown = (longest + 2).min(MAX_POSITIONS_SHOWN);
        let matrix = transformer.positions.first(shown);
        let width = matrix.dims()[1];
        let flat = read_floats(vec![matrix]).await?.remove(0);
        Ok(Some(PositionsView {
            learned: self.config().model.positions == PositionKind::Learned,
            matrix: flat.chunks(width).map(<[f32]>::to_vec).collect(),
        }))
    }
}
