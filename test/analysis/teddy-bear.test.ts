import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { renderTeddyBear, teddyBearSvg } from '../../src/analysis/teddy-bear.js'

async function rawPixels(jpeg: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true })
  expect(info.channels).toBe(3)
  return { width: info.width, height: info.height, data }
}

function pixel(image: { width: number; data: Buffer }, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!]
}

describe('teddyBearSvg', () => {
  it('is a self-contained SVG of the requested size without text (no font dependency)', () => {
    const svg = teddyBearSvg(128)
    expect(svg).toMatch(/^<svg [^>]*width="128" height="128" viewBox="0 0 350 350"/)
    expect(svg).not.toMatch(/<text|href=|<image/)
  })
})

describe('renderTeddyBear', () => {
  it('renders a 350x350 baseline JPEG by default, the same bytes every time', async () => {
    const first = await renderTeddyBear()
    const second = await renderTeddyBear()
    expect([...first.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
    expect([...first.subarray(-2)]).toEqual([0xff, 0xd9])
    expect(first.equals(second)).toBe(true)
    const metadata = await sharp(first).metadata()
    expect(metadata).toMatchObject({ format: 'jpeg', width: 350, height: 350, channels: 3 })
  })

  it('draws the bear where expected: sky corners, dark nose below the centre, ears at the top', async () => {
    const image = await rawPixels(await renderTeddyBear())
    expect(image.width).toBe(350)
    const [r, g, b] = pixel(image, 3, 346)
    expect(b).toBeGreaterThan(r!) // light sky blue in the corner
    expect(g! + b!).toBeGreaterThan(400)
    const nose = pixel(image, 175, 230)
    expect(Math.max(...nose)).toBeLessThan(80)
    const rightEarFur = pixel(image, 300, 70)
    expect(rightEarFur[0]).toBeGreaterThan(rightEarFur[2]! + 50) // brown: red well above blue
    const skyBetweenEars = pixel(image, 175, 30)
    expect(skyBetweenEars[2]).toBeGreaterThan(200)
  })

  it('renders other sizes', async () => {
    const image = await rawPixels(await renderTeddyBear(100))
    expect([image.width, image.height]).toEqual([100, 100])
  })

  it('turns the drawing clockwise by quarter turns, four turns giving back the original bytes', async () => {
    const upright = await renderTeddyBear(350, 0)
    const turned = await rawPixels(await renderTeddyBear(350, 1))
    expect((await renderTeddyBear(350, 4)).equals(upright)).toBe(true)
    expect((await renderTeddyBear(350, -1)).equals(await renderTeddyBear(350, 3))).toBe(true)
    // Clockwise: (x, y) moves to (349 - y, x); the nose at (175, 230) lands at (119, 175).
    expect(Math.max(...pixel(turned, 119, 175))).toBeLessThan(80)
    // The former top (sky between the ears) is now on the right.
    expect(pixel(turned, 319, 175)[2]).toBeGreaterThan(200)
    const uprightPixels = await rawPixels(upright)
    expect(Math.max(...pixel(uprightPixels, 119, 175))).toBeGreaterThan(100)
  })

  it('rejects sizes it cannot render', async () => {
    await expect(renderTeddyBear(0)).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
    await expect(renderTeddyBear(10.5)).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
    await expect(renderTeddyBear(350, 0.5)).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
  })
})
