#!/usr/bin/env node
console.log("host")
