// A tiny app so the example project is a real one; airlock never runs it.
const express = require('express');
const app = express();
app.get('/', (req, res) => res.send('hello from a verified node_modules'));
app.listen(process.env.PORT || 3000);
