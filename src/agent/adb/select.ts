/**
 * Which phone to read: `--serial`, else the only one, else ask on a TTY, else an error that
 * names `--serial`. States other than `device` get plain words and the fix.
 */
import {EXIT, VcashError} from '../../core/errors.js'
import type {AdbDevice} from './client.js'

export const ENABLE_USB_DEBUGGING =
  'On the phone: Settings > About phone > tap "Build number" 7 times to unlock Developer options; then ' +
  'Settings > System > Developer options > turn on "USB debugging". Plug the phone in with a data cable (not a charge-only one), ' +
  'unlock it and tap "Allow" on "Allow USB debugging?" (tick "Always allow from this computer"). `adb devices` should then list it as "device".'

export function describeState(d: AdbDevice): {code: string; message: string; suggestion: string} | null {
  const name = d.model ? `${d.model.replaceAll('_', ' ')} (${d.serial})` : d.serial
  switch (d.state) {
    case 'device':
      return null
    case 'unauthorized':
      return {
        code: 'device_unauthorized',
        message: `The phone ${name} is connected but has not allowed this computer to use USB debugging yet.`,
        suggestion:
          'Unlock the phone and tap "Allow" on the "Allow USB debugging?" prompt (tick "Always allow from this computer"). ' +
          'No prompt? Unplug, open Developer options > "Revoke USB debugging authorizations", and plug it in again.',
      }
    case 'offline':
      return {
        code: 'device_offline',
        message: `The phone ${name} is plugged in but offline: adb cannot talk to it right now.`,
        suggestion: 'Unplug and replug the cable and unlock the phone. If it stays offline, run `adb kill-server`, or turn USB debugging off and on again.',
      }
    case 'no permissions':
      return {
        code: 'device_no_permissions',
        message: `This computer sees the phone ${d.serial} but your user may not open it (USB permissions).`,
        suggestion: 'On Linux, install the udev rules (Debian/Ubuntu: `sudo apt-get install android-sdk-platform-tools-common`) and add yourself to the plugdev group, then replug.',
      }
    case 'authorizing':
    case 'connecting':
      return {code: 'device_connecting', message: `The phone ${name} is still connecting.`, suggestion: 'Wait a few seconds and unlock the phone.'}
    default:
      return {
        code: 'device_not_ready',
        message: `The phone ${name} is in "${d.state}" mode, not normal Android.`,
        suggestion: 'Reboot the phone into Android normally and unlock it.',
      }
  }
}

export function notReadyError(d: AdbDevice): VcashError {
  const s = describeState(d)
  if (!s) throw new TypeError('device is ready')
  return new VcashError(s.code, s.message, {suggestion: s.suggestion, exit: EXIT.unavailable})
}

export function noDeviceError(): VcashError {
  return new VcashError('no_device', 'No Android phone is connected with USB debugging on.', {suggestion: ENABLE_USB_DEBUGGING, exit: EXIT.unavailable})
}

export interface SelectOptions {
  serial?: string
  /** Asks the user to pick among ready devices; absent when we may not prompt. */
  prompt?: (devices: AdbDevice[]) => Promise<string>
}

function label(d: AdbDevice): string {
  return d.model ? `${d.serial} (${d.model.replaceAll('_', ' ')}, ${d.state})` : `${d.serial} (${d.state})`
}

/** Picks the device to read; throws a VcashError with the fix when none is usable. */
export async function selectDevice(devices: AdbDevice[], opts: SelectOptions): Promise<AdbDevice> {
  if (opts.serial !== undefined) {
    const d = devices.find((x) => x.serial === opts.serial)
    if (!d) {
      throw new VcashError('device_not_found', `No phone with serial "${opts.serial}" is connected.`, {
        suggestion: devices.length > 0 ? `Connected: ${devices.map((x) => label(x)).join(', ')}.` : ENABLE_USB_DEBUGGING,
        exit: EXIT.unavailable,
      })
    }
    if (d.state !== 'device') throw notReadyError(d)
    return d
  }
  if (devices.length === 0) throw noDeviceError()
  const ready = devices.filter((d) => d.state === 'device')
  if (ready.length === 1 && ready[0]) return ready[0]
  if (ready.length === 0) {
    // Speak about the phone that is there rather than "no device".
    const first = devices[0]
    if (devices.length === 1 && first) throw notReadyError(first)
    throw new VcashError('no_ready_device', `None of the connected phones is ready: ${devices.map((x) => label(x)).join(', ')}.`, {
      suggestion: 'Unlock the phone you want and allow USB debugging on it.',
      exit: EXIT.unavailable,
    })
  }
  if (opts.prompt) {
    const chosen = await opts.prompt(ready)
    const d = ready.find((x) => x.serial === chosen)
    if (d) return d
  }
  throw new VcashError('several_devices', `Several phones are connected: ${ready.map((x) => label(x)).join(', ')}.`, {
    suggestion: `Choose one with --serial, e.g. --serial ${ready[0]?.serial ?? 'SERIAL'}.`,
    exit: EXIT.usage,
  })
}
