/** The viewer's icon, served as `/assets/favicon.svg`: two offset frames, an image and its predecessor. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#2454d6"/>
<rect x="6" y="6" width="13" height="13" rx="2" fill="#ffffff" fill-opacity="0.5"/>
<rect x="13" y="13" width="13" height="13" rx="2" fill="#ffffff"/>
</svg>
`
