// The `mistudio` CLI; its commands arrive with the core issue.
process.stderr.write('mistudio: no commands yet\n');
process.exitCode = 1;
