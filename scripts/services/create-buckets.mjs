// Creates S3Proxy buckets with signed requests, so the bucket exists exactly as the S3 API sees it (a bare
// directory under the filesystem basedir would skip S3Proxy's own bookkeeping).
// Usage: node create-buckets.mjs <endpoint> <bucket>...   credentials and region from the AWS_* variables.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'

const [endpoint, ...buckets] = process.argv.slice(2)
if (endpoint === undefined || buckets.length === 0) {
  console.error('usage: node create-buckets.mjs <endpoint> <bucket>...')
  process.exit(2)
}
const client = new S3Client({ endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' })
try {
  for (const Bucket of buckets) {
    try {
      await client.send(new CreateBucketCommand({ Bucket }))
      console.log(`created bucket ${Bucket}`)
    } catch (error) {
      // A concurrent or earlier run got there first: that is the state we want.
      if (error?.name === 'BucketAlreadyOwnedByYou' || error?.name === 'BucketAlreadyExists') continue
      throw error
    }
  }
} finally {
  client.destroy()
}
