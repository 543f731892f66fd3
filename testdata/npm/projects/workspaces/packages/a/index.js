module.exports = require('@airlock-ws/b')
