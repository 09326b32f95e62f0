/**
 * The SIP polynomials themselves: the header's approximate inverse (AP/BP) is read the right way round (it
 * undoes A/B to a small fraction of a pixel, much better than no inverse), and the exact inverse undoes the
 * forward polynomial to 1e-10 px.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { headerLookup } from '../../../src/analysis/fits/header-card.js'
import { readSip, sipApproximateInverse, sipForward, sipInverse, type SipDistortion } from '../../../src/analysis/wcs/sip.js'
import { hasPythonModule } from '../../support/python-oracle.js'
import { ASTROPY_WCS_DATA, astropyWcs } from './astropy-wcs.js'

const FILES = ['irac_sip.hdr', 'siponly.hdr', 'sip.fits']

describe.skipIf(!hasPythonModule('astropy', 'python3-astropy'))('SIP polynomials of astropy test headers', () => {
  const sips: { name: string; sip: SipDistortion; crpix: [number, number]; size: [number, number] }[] = []
  beforeAll(async () => {
    const answers = await astropyWcs(FILES.map((name) => ({ path: `${ASTROPY_WCS_DATA}/${name}`, pixels: [] })))
    answers.forEach((answer, i) => {
      const header = headerLookup(answer.cards)
      const [w, h] = answer.naxis
      sips.push({
        name: FILES[i]!,
        sip: readSip(header)!,
        crpix: [Number(header.get('CRPIX1')), Number(header.get('CRPIX2'))],
        size: [w > 1 ? w : 256, h > 1 ? h : 256],
      })
    })
  }, 60_000)

  it('AP/BP undo A/B to a quarter pixel over the image, and the Newton inverse to 1e-10 px', () => {
    for (const { name, sip, crpix, size } of sips) {
      expect(sip.ap, name).toBeDefined()
      let worstApprox = 0
      let worstIdentity = 0
      let worstExact = 0
      const distorted: [number, number] = [0, 0]
      const back: [number, number] = [0, 0]
      for (let j = 0; j <= 10; j++) {
        for (let i = 0; i <= 10; i++) {
          const u = ((size[0] - 1) * i) / 10 + 1 - crpix[0]
          const v = ((size[1] - 1) * j) / 10 + 1 - crpix[1]
          sipForward(sip, u, v, distorted)
          sipApproximateInverse(sip, distorted[0], distorted[1], back)
          worstApprox = Math.max(worstApprox, Math.hypot(back[0] - u, back[1] - v))
          worstIdentity = Math.max(worstIdentity, Math.hypot(distorted[0] - u, distorted[1] - v))
          sipInverse(sip, distorted[0], distorted[1], back)
          worstExact = Math.max(worstExact, Math.hypot(back[0] - u, back[1] - v))
        }
      }
      expect(worstApprox, `${name}: AP/BP error, px`).toBeLessThan(0.25)
      expect(worstApprox, `${name}: AP/BP against the distortion itself`).toBeLessThan(worstIdentity / 5)
      expect(worstExact, `${name}: Newton inverse error, px`).toBeLessThan(1e-10)
    }
  })
})
