// The machine's ceiling: a bare node:http server answering a fixed JSON body.
import http from 'node:http'

const body = JSON.stringify({status: false, code: 'not_found', message: 'No matching transfer found yet. Check the phone number and amount, or try again in a minute.'})
const server = http.createServer((req, res) => {
  res.writeHead(200, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body)})
  res.end(body)
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({url: `http://127.0.0.1:${server.address().port}`})}\n`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
