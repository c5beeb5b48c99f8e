//! The machine's audio inputs, as cpal sees them through the default host (ALSA on
//! Linux, which reaches PulseAudio or PipeWire through their ALSA plugins).

use cpal::traits::{DeviceTrait, HostTrait};

use crate::ScribeError;

/// An input device and the format it records in by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDevice {
    pub name: String,
    pub sample_rate_hz: u32,
    pub channels: u16,
    pub sample_format: String,
}

/// The default input device, or why there is none.
pub fn default_input() -> Result<InputDevice, ScribeError> {
    let host = cpal::default_host();
    let device = host.default_input_device().ok_or_else(|| {
        ScribeError::NoInputDevice(format!(
            "the {} host reports no default input",
            host.id().name()
        ))
    })?;
    let name = device
        .name()
        .map_err(|e| ScribeError::Audio(e.to_string()))?;
    let config = device
        .default_input_config()
        .map_err(|e| ScribeError::NoInputDevice(format!("{name}: {e}")))?;
    Ok(InputDevice {
        name,
        sample_rate_hz: config.sample_rate().0,
        channels: config.channels(),
        sample_format: config.sample_format().to_string(),
    })
}
