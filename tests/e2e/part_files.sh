#!/usr/bin/env bash
# Directories of part files end to end: dmf train on a Spark-style export
# (parts sorted by name, a header in some, one empty, one without a final
# newline, _SUCCESS and .crc files beside them) writes the model it writes
# from the concatenated file, dmf split of the directory writes the files
# the split of the concatenation writes, and a bad line is named by its part
# and its own line, as are a repeated pair and an unknown user in eval.
source "$DMF_E2E_LIB"

header='userId,movieId,rating'
rows() {  # rows FIRST LAST: rating lines of users FIRST..LAST
  for u in $(seq "$1" "$2"); do
    for i in $(seq 1 $(( (u * 7) % 11 + 2 ))); do
      printf 'u%03d,%d,%d\n' "$u" $(( i * 31 % 97 )) $(( (u + i) % 5 + 1 ))
    done
  done
}
{ echo "$header"; rows 1 60; } > whole.csv

mkdir parts
{ echo "$header"; rows 1 20; } > parts/part-00000.csv
: > parts/part-00001.csv
rows 21 45 | head -c -1 > parts/part-00002.csv  # no final newline
{ echo "$header"; rows 46 60; } > parts/part-00003.csv
: > parts/_SUCCESS
printf 'garbage\n' > parts/.part-00000.csv.crc
printf 'x,y,z,w,v\n' > parts/part-00003.csv.crc

for np in $(e2e_ranks 1 3); do
  for data in whole.csv parts; do
    expect_ok dmf_np "$np" train --data "$data" --rank 3 --epochs 3 --out "m.$data.np$np" --quiet
  done
  for f in user_factors.npy item_factors.npy user_bias.npy item_bias.npy user_ids.txt item_ids.txt; do
    same_bytes "m.whole.csv.np$np/$f" "m.parts.np$np/$f"
  done
  grep '"fingerprint"' "m.whole.csv.np$np/manifest.json" > fp.whole
  grep '"fingerprint"' "m.parts.np$np/manifest.json" > fp.parts
  same_bytes fp.whole fp.parts
done

# split re-reads its input: the directory's outputs are single files in its format.
expect_ok dmf split --data whole.csv --test-ratio 0.2 --out-prefix s.whole
expect_ok dmf split --data parts --test-ratio 0.2 --out-prefix s.parts
same_bytes s.whole.train s.parts.train
same_bytes s.whole.test s.parts.test

# A bad line in a later part: that part's name and its own line number.
sed -i '17s/.*/u099,5,oops/' parts/part-00003.csv
expect_fail 1 dmf train --data parts --rank 2 --epochs 1 --out m.bad
contains "$WORK/stderr" "parts/part-00003.csv:17: rating 'oops' is not a number"

# A pair rated in two parts: both named by their part and own line.
mkdir dup
{ echo "$header"; echo 'u001,5,3'; echo 'u002,5,4'; } > dup/part-00000.csv
{ echo "$header"; echo 'u003,6,2'; echo 'u001,5,1'; } > dup/part-00001.csv
expect_fail 1 dmf info --data dup
contains "$WORK/stderr" "user u001, item 5 on lines dup/part-00000.csv:2 and dup/part-00001.csv:3"

# eval's unknown user in a later part: named by that part and its own line.
mkdir cold
{ echo "$header"; rows 1 3; } > cold/part-00000.csv
{ echo "$header"; rows 4 5; echo 'nobody,31,4'; } > cold/part-00001.csv
cold_line=$(grep -n nobody cold/part-00001.csv | cut -d: -f1)
expect_fail 1 dmf eval --model m.parts.np1 --data cold --cold-start error
contains "$WORK/stderr" "cold/part-00001.csv:$cold_line: user nobody is not in the model"
