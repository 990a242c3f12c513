module.exports = {
  displayName: 'places',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/places',
};
