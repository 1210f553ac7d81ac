//! TEMPORARY stub: replaced by the real conversion module.
use crate::target::Dialect;
use crate::types::{ColumnType, EpochUnit};
use crate::value::{SourceValue, Value};

#[derive(Debug, Clone, Copy)]
pub struct ConvertContext {
    pub dialect: Dialect,
    pub epoch_unit: EpochUnit,
}

#[derive(Debug, thiserror::Error)]
#[error("stub")]
pub struct ConvertError;

pub fn convert(
    v: SourceValue<'_>,
    _ty: &ColumnType,
    _ctx: &ConvertContext,
) -> Result<Value, ConvertError> {
    Ok(match v {
        SourceValue::Null => Value::Null,
        SourceValue::Integer(i) => Value::Int(i),
        SourceValue::Real(f) => Value::Float(f),
        SourceValue::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        SourceValue::Blob(b) => Value::Bytes(b.to_vec()),
    })
}
