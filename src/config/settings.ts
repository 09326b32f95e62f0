import path from 'node:path'
import { objectStoreFromUrl } from '../adapters/backend-options.js'
import { DEFAULT_STORE_DIR } from '../adapters/fs/fs-options.js'
import { KAFKA_SECURITY_VARIABLES } from '../adapters/kafka/kafka-options.js'
import { DEFAULT_SQLITE_FILE } from '../adapters/sqlite/sqlite-options.js'
import { isTimeZone } from '../core/alert-text.js'
import { DEFAULT_MAX_IMAGE_PIXELS } from '../core/analysis-options.js'
import { DEFAULT_CONSUMER_OPTIONS } from '../core/consumer-options.js'
import { DELIVERIES_PER_SUBSCRIPTION } from '../core/delivery-options.js'
import { DEFAULT_RECEIVE_OPTIONS } from '../core/receive-options.js'
import { DEFAULT_REAL_BOGUS_MIN } from '../core/science-options.js'
import { LOG_LEVELS } from '../core/logger.js'
import { invalid } from '../core/setting-values.js'
import { asGiven, decimal, hostList, integer, oneOf, webToken, type Setting } from './setting.js'
import { brokerUrl, databaseUrl, publicUrl, schemaRegistryUrl, smtpUrl } from './url-settings.js'

/**
 * Every setting of imgpipe, in the order the README lists them. Only environment variables and flags
 * configure imgpipe (a flag wins over its variable); no host, bucket or credential is written in code.
 * From this table come `loadConfig`, every command's flags (src/cli/setting-options.ts) and the README's
 * Configuration table (test/config/settings.test.ts compares them).
 *
 * A default is written once: here, or — for the options a stage or adapter owns (consumer, receive, the
 * default paths) — in that module, which the row names. How to add a setting: STANDARDS.md, Adding a setting.
 */
export const SETTINGS = {
  databaseUrl: {
    env: 'IMGPIPE_DATABASE_URL',
    arg: 'url',
    default: `sqlite:${DEFAULT_SQLITE_FILE}`,
    help: '`sqlite:<path>`, `mysql://user@host:3306/db`, `postgres://user@host:5432/db`',
    // The password is a setting of its own (below), else the driver's variable: never the URL.
    parse: databaseUrl,
  },
  databasePassword: {
    env: 'IMGPIPE_DATABASE_PASSWORD',
    arg: 'password',
    secret: true,
    help: 'password for MySQL/PostgreSQL; never printed',
    parse: asGiven,
  },
  objectStoreUrl: {
    env: 'IMGPIPE_OBJECT_STORE_URL',
    arg: 'url',
    default: `file:${DEFAULT_STORE_DIR}`,
    help: '`file:<dir>`, `s3://bucket[/prefix][?endpoint=…&region=…&forcePathStyle=true]`',
    parse: objectStoreFromUrl,
  },
  brokerUrl: {
    env: 'IMGPIPE_BROKER_URL',
    arg: 'url',
    default: 'memory:',
    help: '`memory:` (in-process), `kafka://host:port[,host:port]` or `kafkas://…` (TLS)',
    // Reads the four IMGPIPE_KAFKA_* settings below, for a Kafka URL only.
    parse: brokerUrl,
  },
  kafkaCaFile: {
    env: KAFKA_SECURITY_VARIABLES.caFile,
    arg: 'file',
    help: "PEM bundle of the CA(s) that signed the brokers' certificates (`kafkas://` only); replaces Node's CAs",
    parse: asGiven,
  },
  kafkaSaslMechanism: {
    env: KAFKA_SECURITY_VARIABLES.saslMechanism,
    arg: 'mechanism',
    help: '`PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`; needs the two below',
    parse: asGiven,
  },
  kafkaSaslUsername: {
    env: KAFKA_SECURITY_VARIABLES.saslUsername,
    arg: 'user',
    help: 'SASL user (API key for Confluent Cloud)',
    parse: asGiven,
  },
  kafkaSaslPassword: {
    env: KAFKA_SECURITY_VARIABLES.saslPassword,
    arg: 'password',
    secret: true,
    help: 'SASL password (API secret); never printed',
    parse: asGiven,
  },
  schemaRegistryUrl: {
    env: 'IMGPIPE_SCHEMA_REGISTRY_URL',
    arg: 'url',
    help: 'Confluent-compatible schema registry of the Avro alerts, `http(s)://[user@]host:port[/path]` (Apicurio: `…/apis/ccompat/v7`)',
    parse: schemaRegistryUrl,
  },
  schemaRegistryPassword: {
    env: 'IMGPIPE_SCHEMA_REGISTRY_PASSWORD',
    arg: 'password',
    secret: true,
    help: "password of the registry URL's user (HTTP Basic); never printed",
    parse: asGiven,
  },
  topicPartitions: {
    env: 'IMGPIPE_TOPIC_PARTITIONS',
    arg: 'n',
    default: 3,
    help: 'partitions of the topics imgpipe creates',
    parse: integer(1, 1000),
  },
  topicPrefix: {
    env: 'IMGPIPE_TOPIC_PREFIX',
    arg: 'prefix',
    default: '',
    defaultText: 'empty',
    help: 'prefix for topic and consumer group names',
    parse: (value, context) => {
      if (!/^[A-Za-z0-9._-]{0,100}$/.test(value)) throw invalid(context.variable, value, 'letters, digits, ".", "_" and "-" only')
      return value
    },
  },
  eventThreshold: {
    env: 'IMGPIPE_EVENT_THRESHOLD',
    arg: 'fraction',
    // Ignores JPEG noise, catches a rotation.
    default: 0.01,
    help: 'fraction of changed pixels above which an image is an event',
    parse: decimal(0, 1),
  },
  pixelTolerance: {
    env: 'IMGPIPE_PIXEL_TOLERANCE',
    arg: 'n',
    default: 48,
    // 254 at most: no channel difference could exceed 255.
    help: 'a pixel is changed when a channel differs by more than this (0–254)',
    parse: integer(0, 254),
  },
  maxImagePixels: {
    env: 'IMGPIPE_MAX_IMAGE_PIXELS',
    arg: 'n',
    default: DEFAULT_MAX_IMAGE_PIXELS,
    help: 'larger images are rejected before decoding (decompression bombs)',
    parse: integer(1, 2 ** 32),
  },
  maxImageBytes: {
    env: 'IMGPIPE_MAX_IMAGE_BYTES',
    arg: 'n',
    default: 100 * 1024 * 1024,
    help: 'larger files are rejected without being read',
    parse: integer(1, 2 ** 40),
  },
  fitsHdu: {
    env: 'IMGPIPE_FITS_HDU',
    arg: 'name|n',
    defaultText: 'the first image HDU',
    help: '`ingest`, `receive`: the HDU of a FITS file to read, by `EXTNAME` (`SCI`) or 0-based index (`1`); `--hdu` for short',
    parse: (value, context) => {
      if (/^\d{1,4}$/.test(value)) return Number(value)
      if (!/^[\x21-\x7e][\x20-\x7e]{0,67}$/.test(value))
        throw invalid(context.variable, value, 'expected an EXTNAME or a 0-based HDU index')
      return value
    },
  },
  decodeCacheBytes: {
    env: 'IMGPIPE_DECODE_CACHE_BYTES',
    arg: 'bytes',
    // 256 MiB holds hundreds of camera-sized frames, or one 7000×7000 decode (147 MB): the one that matters.
    default: 256 * 1024 * 1024,
    help: 'decoded pixels the analyze stage keeps to spare re-decoding the previous image (0: off)',
    parse: integer(0, 2 ** 40),
  },
  referenceFrames: {
    env: 'IMGPIPE_REFERENCE_FRAMES',
    arg: 'n',
    // The fewest frames a sigma-clipped median can reject an outlier from; ZTF stacks 15–40 (issue 18).
    default: 3,
    help: "analysed frames of a field after which analyze builds the field's reference (0: never)",
    parse: integer(0, 1000),
  },
  fakesPerImage: {
    env: 'IMGPIPE_FAKES_PER_IMAGE',
    arg: 'n',
    // 20 per frame gives a completeness curve of a few hundred points over a night's run, at no visible cost.
    default: 20,
    help: 'fake point sources injected into each science image to measure completeness (0: none)',
    parse: integer(0, 10_000),
  },
  detectionSnr: {
    env: 'IMGPIPE_DETECTION_SNR',
    arg: 'snr',
    // ZTF's and Rubin's 5σ: under one false detection per 2048² frame from Gaussian noise.
    default: 5,
    help: 'detection threshold on the difference image, signal-to-noise',
    parse: decimal(1, 1000),
  },
  realBogusMin: {
    env: 'IMGPIPE_REAL_BOGUS_MIN',
    arg: 'score',
    default: DEFAULT_REAL_BOGUS_MIN,
    help: 'real-bogus score (0..1) a detection needs to be alerted',
    parse: decimal(0, 1),
  },
  consumerBatchSize: {
    env: 'IMGPIPE_CONSUMER_BATCH_SIZE',
    arg: 'n',
    default: DEFAULT_CONSUMER_OPTIONS.batchSize,
    help: "messages analyze and alert hold beyond their last committed offset; offsets are committed as each partition's handled run advances",
    parse: integer(1, 10_000),
  },
  consumerConcurrency: {
    env: 'IMGPIPE_CONSUMER_CONCURRENCY',
    arg: 'n',
    default: DEFAULT_CONSUMER_OPTIONS.concurrency,
    help: 'messages analyze handles at once (its round trips overlap the work of the others; see Performance); alert handles a whole batch at once',
    parse: integer(1, 256),
  },
  receiveBatchSize: {
    env: 'IMGPIPE_RECEIVE_BATCH_SIZE',
    arg: 'n',
    default: DEFAULT_RECEIVE_OPTIONS.batchSize,
    help: 'images receive records at once: one claim, one status update and one publish per window',
    parse: integer(1, 10_000),
  },
  receiveBatchBytes: {
    env: 'IMGPIPE_RECEIVE_BATCH_BYTES',
    arg: 'bytes',
    default: DEFAULT_RECEIVE_OPTIONS.batchBytes,
    help: 'bytes of images a receive window holds at most',
    parse: integer(1, 2 ** 40),
  },
  receiveLingerMs: {
    env: 'IMGPIPE_RECEIVE_LINGER_MS',
    arg: 'ms',
    default: DEFAULT_RECEIVE_OPTIONS.lingerMs,
    help: 'how long receive waits after an image for more to fill its window, in a burst only (a lone image goes at once)',
    parse: integer(0, 60_000),
  },
  receiveConcurrency: {
    env: 'IMGPIPE_RECEIVE_CONCURRENCY',
    arg: 'n',
    default: DEFAULT_RECEIVE_OPTIONS.putConcurrency,
    help: 'object puts receive keeps in flight',
    parse: integer(1, 256),
  },
  webPort: {
    env: 'IMGPIPE_WEB_PORT',
    arg: 'port',
    default: 8000,
    help: '`imgpipe web` (and `npm start`): TCP port of the viewer (`0`: a free one, named in the URL printed); `web --port` overrides it',
    parse: integer(0, 65535),
  },
  webHost: {
    env: 'IMGPIPE_WEB_HOST',
    arg: 'host',
    default: '127.0.0.1',
    help: '`imgpipe web`: address the viewer listens on (`0.0.0.0` or `::` for every interface, which needs `IMGPIPE_WEB_TOKEN`); `web --host` overrides it',
    parse: (value, context) => {
      if (/\s/.test(value)) throw invalid(context.variable, value, 'expected a host name or an IP address')
      return value
    },
  },
  webToken: {
    env: 'IMGPIPE_WEB_TOKEN',
    arg: 'token',
    secret: true,
    help: '`imgpipe web`: when set (16+ characters), every route but `/health` asks for it as HTTP Basic password (any user) or `Authorization: Bearer`; never printed',
    parse: webToken,
  },
  webAuth: {
    env: 'IMGPIPE_WEB_AUTH',
    arg: 'mode',
    default: 'auto',
    help: '`imgpipe web`: `auto` refuses a `--host` beyond loopback without a token; `off` serves without one (a proxy in front authenticates)',
    parse: oneOf(['auto', 'off']),
  },
  webAllowedHosts: {
    env: 'IMGPIPE_WEB_ALLOWED_HOSTS',
    arg: 'hosts',
    default: '',
    defaultText: 'empty',
    help: '`imgpipe web`: comma-separated host names answered besides localhost names and the bound address; `*` for any; other `Host` headers get 421',
    parse: hostList,
  },
  webMaxConnections: {
    env: 'IMGPIPE_WEB_MAX_CONNECTIONS',
    arg: 'n',
    default: 256,
    help: '`imgpipe web`: open TCP connections; more are dropped',
    parse: integer(1, 1_000_000),
  },
  webMaxEventStreams: {
    env: 'IMGPIPE_WEB_MAX_EVENT_STREAMS',
    arg: 'n',
    default: 100,
    help: '`imgpipe web`: open `/events` streams in all; more get 503 with `Retry-After`',
    parse: integer(0, 1_000_000),
  },
  webMaxEventStreamsPerClient: {
    env: 'IMGPIPE_WEB_MAX_EVENT_STREAMS_PER_CLIENT',
    arg: 'n',
    default: 8,
    help: '`imgpipe web`: open `/events` streams per client address',
    parse: integer(0, 1_000_000),
  },
  metricsPort: {
    env: 'IMGPIPE_METRICS_PORT',
    arg: 'port',
    defaultText: '– (none)',
    help: '`run`, `receive`, `analyze`, `alert` serve `/metrics`, `/health`, `/ready` on this port (`0`: a free one)',
    parse: integer(0, 65535),
  },
  metricsHost: {
    env: 'IMGPIPE_METRICS_HOST',
    arg: 'host',
    // Loopback unless told otherwise (a container sets 0.0.0.0).
    default: '127.0.0.1',
    help: 'address of that endpoint (`0.0.0.0` in a container)',
    parse: asGiven,
  },
  analysisDir: {
    env: 'IMGPIPE_ANALYSIS_DIR',
    arg: 'dir',
    help: "opt-in: the receive stage also writes each default-stream image to `<dir>/image_NNNNN.<ext>` and names it in the message's `image_analysis_path`, for the original's analysis client (see Coming from the original pipeline)",
    parse: (value, context) => path.resolve(context.cwd, value),
  },
  publicUrl: {
    env: 'IMGPIPE_PUBLIC_URL',
    arg: 'url',
    help: 'absolute URL of the web viewer (`https://host/imgpipe/`): alert messages link to its alert page and images',
    parse: publicUrl,
  },
  deliveryAllowPrivate: {
    env: 'IMGPIPE_DELIVERY_ALLOW_PRIVATE',
    arg: 'bool',
    default: 'false',
    help: 'allow webhook and Slack targets on loopback or private addresses (tests, intranets)',
    parse: (value, context) => oneOf(['true', 'false'])(value, context) === 'true',
  },
  deliveryConcurrency: {
    env: 'IMGPIPE_DELIVERY_CONCURRENCY',
    arg: 'n',
    default: 16,
    help: `alert deliveries in flight at once (at most ${DELIVERIES_PER_SUBSCRIPTION} per subscription)`,
    parse: integer(1, 1000),
  },
  deliveryTimeoutMs: {
    env: 'IMGPIPE_DELIVERY_TIMEOUT_MS',
    arg: 'ms',
    default: 10_000,
    help: "one delivery attempt's time limit",
    parse: integer(100, 600_000),
  },
  deliveryMaxAttempts: {
    env: 'IMGPIPE_DELIVERY_MAX_ATTEMPTS',
    arg: 'n',
    default: 12,
    help: 'attempts before a delivery is `dead`',
    parse: integer(1, 1000),
  },
  deliveryBackoffMs: {
    env: 'IMGPIPE_DELIVERY_BACKOFF_MS',
    arg: 'ms',
    default: 1_000,
    help: 'first retry delay of a delivery, doubled per attempt (with jitter) up to the maximum below',
    parse: integer(1, 3_600_000),
  },
  deliveryBackoffMaxMs: {
    env: 'IMGPIPE_DELIVERY_BACKOFF_MAX_MS',
    arg: 'ms',
    default: 600_000,
    help: 'longest retry delay of a delivery (a `Retry-After` answer may ask for more, up to an hour)',
    parse: integer(1, 86_400_000),
  },
  deliveryPollMs: {
    env: 'IMGPIPE_DELIVERY_POLL_MS',
    arg: 'ms',
    default: 1_000,
    help: 'how often an idle delivery worker looks for due deliveries (a recorded alert wakes it at once)',
    parse: integer(10, 600_000),
  },
  smtpUrl: {
    env: 'IMGPIPE_SMTP_URL',
    arg: 'url',
    help: '`smtp://host:587` (STARTTLS when offered, `?requireTLS=true` insists) or `smtps://host:465`; enables e-mail alerts',
    parse: smtpUrl,
  },
  smtpFrom: {
    env: 'IMGPIPE_SMTP_FROM',
    arg: 'address',
    default: 'imgpipe@localhost',
    help: 'sender address of alert e-mails',
    parse: asGiven,
  },
  smtpUsername: {
    env: 'IMGPIPE_SMTP_USERNAME',
    arg: 'user',
    help: 'SMTP login user',
    parse: asGiven,
  },
  smtpPassword: {
    env: 'IMGPIPE_SMTP_PASSWORD',
    arg: 'password',
    secret: true,
    help: 'SMTP login password; never printed',
    parse: asGiven,
  },
  timeZone: {
    env: 'IMGPIPE_TIME_ZONE',
    arg: 'zone',
    defaultText: "the machine's (`TZ`)",
    help: 'IANA time zone (`Europe/Berlin`, `UTC`) of the local times in alert e-mails, which name it',
    parse: (value, context) => {
      if (!isTimeZone(value)) throw invalid(context.variable, value, 'expected an IANA time zone such as Europe/Berlin or UTC')
      return value
    },
  },
  logLevel: {
    env: 'IMGPIPE_LOG_LEVEL',
    arg: 'level',
    // Commands a person runs log warnings only; `imgpipe analyze` and `alert` log at info (src/cli/cli-context.ts).
    default: 'warn',
    defaultText: '`warn` (`info` for `analyze` and `alert`)',
    help: `pino level (${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')}); logs are JSON lines on stderr`,
    parse: oneOf(LOG_LEVELS),
  },
} as const satisfies Record<string, Setting<unknown>>

export type SettingName = keyof typeof SETTINGS

/** A setting's value once parsed: undefined only for a setting without a default. */
export type SettingValue<K extends SettingName> =
  ReturnType<(typeof SETTINGS)[K]['parse']> | ((typeof SETTINGS)[K] extends { default: string | number } ? never : undefined)

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[]

/** Each setting's variable, by name. */
export const ENV = Object.fromEntries(SETTING_NAMES.map((name) => [name, SETTINGS[name].env])) as {
  readonly [K in SettingName]: (typeof SETTINGS)[K]['env']
}

/** The flag of a variable: IMGPIPE_TOPIC_PARTITIONS → `topic-partitions` (without the dashes). */
export function flagName(variable: string): string {
  return variable
    .replace(/^IMGPIPE_/, '')
    .toLowerCase()
    .replaceAll('_', '-')
}
