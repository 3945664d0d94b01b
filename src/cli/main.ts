export async function main(argv: string[]): Promise<number> {
  console.log('dag', argv.join(' '));
  return 0;
}
